# Copyright (c) mmwsss contributors. All rights reserved.
"""The Mid-Level Distribution-and-Collection Module (MDCM) as a backbone
wrapper."""

import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor

from mmwsss.registry import MODELS
from .region_confusion import GridSize, to_grid
from .staged_backbone import staged

_FILE = 'projects/destruction_learning/destruction_learning/mdcm.py'
AGGREGATIONS = ('concat', 'sum')


@MODELS.register_module()
class MDCMBackbone(BaseModule):
    """A backbone whose later stages also see the feature map patch by patch.

    A ``BaseModule`` (not a subclass of the wrapped backbone) so it can wrap
    any backbone with a stage adapter (``DRSVGG``, MMSeg's ``ResNet``...)
    while the wrapped one keeps its own ``init_cfg`` (pretrained weights
    load as without the wrapper, under ``backbone.backbone.``).

    Forward, for images (B, 3, H, W):

    1. stem and stages ``0..split_stage`` run on the whole image: feature
       ``m`` (B, C, h, w);
    2. full path: the remaining stages run on ``m``;
    3. distribution: ``m`` is zero-padded at the bottom and right to a
       multiple of ``grid * s`` (``s`` = downsampling of the remaining
       stages, so every patch shrinks exactly; an axis with one cell is not
       padded) and cut into the grid's patches, which are folded into the
       batch (B * rows * cols, C, h_p, w_p) and run through the same
       remaining stages (shared weights; each patch is seen alone:
       convolutions, pools and suppressor maxima never cross a patch
       border);
    4. collection: the patch outputs are stitched back in place and cropped
       to the full path's size;
    5. aggregation with the full path: channel concatenation (``concat``,
       2C' channels, as Progressive Patch Learning draws it) or element-wise
       ``sum`` (C' channels).

    Outputs at stages after ``split_stage`` are aggregated; outputs at or
    before it come from the full path alone. With a 1x1 grid the patch
    branch equals the plain backbone. Batch norm in training mode would let
    patches share batch statistics; keep it frozen (``norm_eval=True``) for
    strictly independent patches, as the ResNet configs do.

    Args:
        backbone (dict): Config of the wrapped backbone, e.g.
            ``dict(type='DRSVGG', ...)`` or ``dict(type='ResNetV1c', ...)``.
        split_stage (int): The last stage run before distribution (0-based;
            DRSVGG stages 0-4 end after pool1, pool2, pool3, pool4', conv5;
            ResNet stages 0-3 are layer1-4). Must be smaller than the last
            output index. Default: 2.
        grid_size (int | Sequence[int]): Patches per side, or (rows, cols).
            Default: 2.
        aggregation (str): ``'concat'`` or ``'sum'``. Default: ``'concat'``.
        init_cfg (dict, optional): Initialisation of the wrapper itself (it
            has no parameters of its own). Default: None.
    """

    def __init__(
        self,
        backbone: ConfigType,
        split_stage: int = 2,
        grid_size: GridSize = 2,
        aggregation: str = 'concat',
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.stages = staged(self.backbone)
        self.grid_size = to_grid(grid_size, _FILE)
        if aggregation not in AGGREGATIONS:
            raise ValueError(
                f'{_FILE}: aggregation must be one of {AGGREGATIONS}, got {aggregation!r}.'
            )
        self.aggregation = aggregation
        outs = self.stages.out_indices
        last = max(outs)
        if (
            isinstance(split_stage, bool)
            or not isinstance(split_stage, int)
            or not 0 <= split_stage < last
        ):
            raise ValueError(
                f'{_FILE}: split_stage must be an int in [0, {last}) (the '
                f'wrapped backbone outputs stages {outs}; at least one must '
                f'come after the split), got {split_stage!r}.'
            )
        self.split_stage = split_stage
        self.last_stage = last
        # downsampling of the stages after the split: patches are padded to
        # a multiple of it so that each shrinks exactly
        self.rest_stride = math.prod(
            self.stages.stride(i) for i in range(split_stage + 1, last + 1)
        )

    # ------------------------------------------------------------------ #
    def forward_early(self, x: Tensor) -> Tuple[Tuple[Tensor, ...], Tensor]:
        """Stem and stages ``0..split_stage`` on the whole image.

        Args:
            x (Tensor): Images (B, 3, H, W).

        Returns:
            tuple: The outputs at stages <= split_stage that the wrapped
            backbone returns, and the split feature (B, C, h, w).
        """
        x = self.stages.stem(x)
        early = []
        for i in range(self.split_stage + 1):
            x = self.stages.stage(x, i)
            if i in self.stages.out_indices:
                early.append(x)
        return tuple(early), x

    def forward_later(self, x: Tensor) -> List[Tensor]:
        """Stages after the split (shared by both paths).

        Args:
            x (Tensor): Split features (N, C, h, w).

        Returns:
            list[Tensor]: The outputs at the later ``out_indices``.
        """
        outs = []
        for i in range(self.split_stage + 1, self.last_stage + 1):
            x = self.stages.stage(x, i)
            if i in self.stages.out_indices:
                outs.append(x)
        return outs

    def distribute(self, feat: Tensor) -> Tensor:
        """Pad and cut a feature map into the grid's patches.

        Along an axis with more than one cell the map is zero-padded at the
        end to ``cells * p`` with ``p = ceil(size / (cells * s))  * s`` and
        ``s`` = :attr:`rest_stride`; an axis with one cell is not padded (so
        a 1x1 grid is the plain path exactly).

        Args:
            feat (Tensor): (B, C, h, w).

        Returns:
            Tensor: (B * rows * cols, C, h_p, w_p), patch-major per image
            (row by row).
        """
        rows, cols = self.grid_size
        b, c, h, w = feat.shape
        s = self.rest_stride
        hp = h if rows == 1 else math.ceil(h / (rows * s)) * s
        wp = w if cols == 1 else math.ceil(w / (cols * s)) * s
        feat = F.pad(feat, (0, cols * wp - w, 0, rows * hp - h))
        patches = feat.reshape(b, c, rows, hp, cols, wp)
        return patches.permute(0, 2, 4, 1, 3, 5).reshape(b * rows * cols, c, hp, wp)

    def collect(self, patches: Tensor, size: Sequence[int]) -> Tensor:
        """Stitch patch outputs back into maps and crop them to ``size``.

        Args:
            patches (Tensor): (B * rows * cols, C', q_h, q_w).
            size (Sequence[int]): The full path's output (h', w').

        Returns:
            Tensor: (B, C', h', w').
        """
        rows, cols = self.grid_size
        n, c, qh, qw = patches.shape
        b = n // (rows * cols)
        maps = (
            patches.reshape(b, rows, cols, c, qh, qw)
            .permute(0, 3, 1, 4, 2, 5)
            .reshape(b, c, rows * qh, cols * qw)
        )
        if maps.shape[-2] < size[0] or maps.shape[-1] < size[1]:
            raise RuntimeError(
                f'{_FILE}: stitched patches are {tuple(maps.shape[-2:])} but '
                f'the full path gives {tuple(size)}; the wrapped backbone '
                'shrinks padded patches more than its stage strides say.'
            )
        return maps[..., : size[0], : size[1]]

    def patch_branch(self, feat: Tensor, sizes: Sequence[Sequence[int]]) -> List[Tensor]:
        """Distribution, the later stages per patch, collection.

        Args:
            feat (Tensor): Split features (B, C, h, w).
            sizes (Sequence[Sequence[int]]): The full path's output sizes,
                one per later output.

        Returns:
            list[Tensor]: Stitched outputs (B, C', h', w').
        """
        outs = self.forward_later(self.distribute(feat))
        return [self.collect(p, size) for p, size in zip(outs, sizes)]

    def forward_branches(
        self, x: Tensor
    ) -> Tuple[Tuple[Tensor, ...], Tuple[Tensor, ...], Tuple[Tensor, ...]]:
        """Both paths, before aggregation.

        Args:
            x (Tensor): Images (B, 3, H, W).

        Returns:
            tuple: ``early`` (outputs at stages <= split_stage), ``full``
            and ``patch`` (outputs at the later stages of the full path and
            of the stitched patch branch; same shapes).
        """
        early, feat = self.forward_early(x)
        full = self.forward_later(feat)
        patch = self.patch_branch(feat, [f.shape[-2:] for f in full])
        return early, tuple(full), tuple(patch)

    def aggregate(self, full: Tensor, patch: Tensor) -> Tensor:
        """Merge one output of both paths (``concat`` or ``sum``)."""
        if self.aggregation == 'concat':
            return torch.cat([full, patch], dim=1)
        return full + patch

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): Images (B, 3, H, W).

        Returns:
            tuple[Tensor]: The wrapped backbone's outputs in order; those
            after ``split_stage`` aggregated ((B, 2C', h', w') for concat,
            (B, C', h', w') for sum).
        """
        early, full, patch = self.forward_branches(x)
        return early + tuple(self.aggregate(f, p) for f, p in zip(full, patch))
