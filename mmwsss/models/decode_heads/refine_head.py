# Copyright (c) mmwsss contributors. All rights reserved.
"""The refinement head of DRS stage 2: regression of the stored localization
maps, each pixel keeping only its arg-max class."""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from mmwsss.models.layers import build_activation
from mmwsss.models.utils.cls_labels import stack_cls_labels
from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/decode_heads/refine_head.py'


def argmax_masked_target(maps: Tensor) -> Tensor:
    """The DRS refinement target: every pixel keeps only its largest class.

    Channel values equal to the pixel's maximum over the class axis are kept,
    the others set to 0 (ties keep every tied channel, as the official
    ``att_map == att_map.max(0)`` mask does; an all-zero pixel stays zero).

    Args:
        maps (Tensor): Maps in [0, 1], shape (..., K, H, W).

    Returns:
        Tensor: Same shape and dtype as ``maps``.
    """
    if maps.dim() < 3:
        raise ValueError(f'{_FILE}: maps must be (..., K, H, W), got shape {tuple(maps.shape)}.')
    keep = maps == maps.amax(dim=-3, keepdim=True)
    return maps * keep.to(maps.dtype)


@MODELS.register_module()
class RefineHead(BaseDecodeHead):
    """Refinement head of DRS (stage 2).

    ``num_convs`` 3x3 convs, each followed by ``act_cfg`` (plain ReLU in
    DRS), then a 1x1 conv (``conv_seg``) to the foreground classes, one
    channel per class and no background channel, as the official refinement
    network. A subclass of MMSeg's ``BaseDecodeHead`` so it fits MMSeg's
    ``EncoderDecoder`` as well as :class:`RefineSegmentor` (``forward``
    gives low-resolution maps, ``predict`` upsamples them); its loss reads
    ``gt_loc_map`` instead of ``gt_sem_seg``.

    Loss: the output is bilinearly upsampled (``align_corners=True``) to the
    input size and compared, unmasked, with ``argmax_masked_target(gt_loc_map
    / 255)`` by the mean squared error over every class and pixel (MMSeg's
    padding of a batch is left out of the mean).

    Args:
        num_classes (int): Foreground classes (VOC: 20).
        in_channels (int): Channels of the backbone feature. Default: 512.
        channels (int): Channels of the extra convs. Default: 512.
        num_convs (int): Extra 3x3 convs. Default: 3.
        act_cfg (dict): Activation after each extra conv. Default: ReLU.
        in_index (int): Which backbone output to use. Default: -1.
        loss_weight (float): Weight of the MSE loss. Default: 1.0.
        loss_name (str): Key of the loss in the loss dict; must start with
            ``'loss'`` to be optimised. Default: ``'loss_refine'``.
        align_corners (bool): Of the upsampling. Default: True (official).
        init_cfg (dict | list[dict], optional): By default N(0, 0.01)
            weights and zero biases for every conv, as the official code.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 512,
        channels: int = 512,
        num_convs: int = 3,
        act_cfg: Optional[dict] = dict(type='ReLU'),
        in_index: int = -1,
        loss_weight: float = 1.0,
        loss_name: str = 'loss_refine',
        align_corners: bool = True,
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.01, bias=0),
    ) -> None:
        for name, value in (
            ('num_classes', num_classes),
            ('in_channels', in_channels),
            ('channels', channels),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f'{_FILE}: RefineHead {name} must be a positive int, got {value!r}.'
                )
        if not isinstance(num_convs, int) or num_convs < 0:
            raise ValueError(
                f'{_FILE}: RefineHead num_convs must be an int >= 0, got {num_convs!r}.'
            )
        if not loss_name.startswith('loss'):
            raise ValueError(
                f"{_FILE}: loss_name must start with 'loss' (so "
                f'it is optimised), got {loss_name!r}.'
            )
        super().__init__(
            in_channels,
            channels if num_convs else in_channels,
            num_classes=num_classes,
            # one channel per class even for 1 or 2 classes: this is a
            # regression, not MMSeg's binary segmentation
            out_channels=num_classes,
            threshold=0.5 if num_classes == 1 else None,
            dropout_ratio=0,
            act_cfg=act_cfg,
            in_index=in_index,
            loss_decode=[],  # the loss is MSE, see loss_by_feat
            align_corners=align_corners,
            init_cfg=init_cfg,
        )
        del self.loss_decode  # (an empty ModuleList)
        self.num_convs = num_convs
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        layers: List[nn.Module] = []
        prev = in_channels
        for _ in range(num_convs):
            layers.append(nn.Conv2d(prev, channels, kernel_size=3, padding=1))
            layers.append(build_activation(act_cfg, channels))
            prev = channels
        self.convs = nn.Sequential(*layers)

    def forward(self, inputs) -> Tensor:
        """Refined maps at the feature resolution (unbounded regression).

        Args:
            inputs (Tensor | Sequence[Tensor]): Backbone outputs; the one at
                ``in_index`` has shape (B, in_channels, h, w).

        Returns:
            Tensor: Shape (B, num_classes, h, w).
        """
        x = inputs if isinstance(inputs, Tensor) else self._transform_inputs(inputs)
        return self.cls_seg(self.convs(x))

    # ------------------------------------------------------------------ #
    # targets and loss
    # ------------------------------------------------------------------ #
    def _targets(self, batch_data_samples: Sequence) -> List[Tensor]:
        targets = []
        for i, sample in enumerate(batch_data_samples):
            if 'gt_loc_map' not in sample:
                raise KeyError(
                    f'{_FILE}: data sample {i} '
                    f'({sample.metainfo.get("img_path", "no img_path")}) has '
                    'no gt_loc_map; add LoadLocalizationMaps and '
                    'PackWSSSInputs to the training pipeline.'
                )
            data = sample.gt_loc_map.data
            if data.dim() != 3 or data.shape[0] != self.num_classes:
                raise ValueError(
                    f'{_FILE}: gt_loc_map of data sample {i} has shape '
                    f'{tuple(data.shape)} but RefineHead.num_classes is '
                    f'{self.num_classes} (foreground classes, no background).'
                )
            if data.dtype == torch.uint8:
                data = data.float() / 255.0
            targets.append(argmax_masked_target(data.float()))
        return targets

    @staticmethod
    def _batch_input_size(sizes: List[Tuple[int, int]], metas: List[dict]) -> Tuple[int, int]:
        """(H, W) of the padded batch: from MMSeg's ``padding_size``
        (left, right, top, bottom) when every sample has it, else the
        largest target."""
        if metas and all('padding_size' in m for m in metas):
            found = {
                (h + int(m['padding_size'][3]), w + int(m['padding_size'][1]))
                for (h, w), m in zip(sizes, metas)
            }
            if len(found) != 1:
                raise ValueError(
                    f'{_FILE}: gt_loc_map sizes {sizes} and padding '
                    f'{[m["padding_size"] for m in metas]} do not give one '
                    'batch input size; gt_loc_map must have the size of its '
                    'image before padding.'
                )
            return found.pop()
        return (max(s[0] for s in sizes), max(s[1] for s in sizes))

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: Sequence) -> dict:
        """Mean squared error to the arg-max-masked stored maps.

        Args:
            seg_logits (Tensor): ``forward`` output, (B, num_classes, h, w).
            batch_data_samples (list[SegDataSample]): With ``gt_loc_map``,
                uint8 (0-255) or float (0-1) of shape (num_classes, H, W),
                at the image size before batch padding.

        Returns:
            dict[str, Tensor]: ``{loss_name: scalar}``.
        """
        targets = self._targets(batch_data_samples)
        if len(targets) != seg_logits.shape[0]:
            raise ValueError(
                f'{_FILE}: {seg_logits.shape[0]} outputs but {len(targets)} data samples.'
            )
        sizes = [tuple(t.shape[-2:]) for t in targets]
        padded = self._batch_input_size(sizes, [s.metainfo for s in batch_data_samples])
        out = F.interpolate(
            seg_logits.float(),  # the loss in fp32 under autocast too
            size=tuple(padded),
            mode='bilinear',
            align_corners=self.align_corners,
        )
        if all(s == tuple(padded) for s in sizes):
            loss = F.mse_loss(out, torch.stack(targets).to(out))
        else:  # MMSeg pads images at the bottom and right
            sq_sum, count = out.new_zeros(()), 0
            for i, (target, (h, w)) in enumerate(zip(targets, sizes)):
                if h > padded[0] or w > padded[1]:
                    raise ValueError(
                        f'{_FILE}: gt_loc_map of data sample {i} is {w}x{h} '
                        f'(WxH), larger than the batch input '
                        f'{padded[1]}x{padded[0]}.'
                    )
                diff = out[i, :, :h, :w] - target.to(out)
                sq_sum = sq_sum + diff.pow(2).sum()
                count += diff.numel()
            loss = sq_sum / count
        return {self.loss_name: loss * self.loss_weight}

    # ------------------------------------------------------------------ #
    # helpers of the map-model API (see RefineSegmentor)
    # ------------------------------------------------------------------ #
    def localization_maps(
        self, outputs: Tensor, size: Tuple[int, int], labels: Optional[Tensor] = None
    ) -> Tensor:
        """Refined maps as localization maps: upsampled, negatives clipped.

        As the official pseudo-label generation: bilinear upsampling
        (``align_corners``) of the raw output to ``size``, max-fused with
        zeros (so clipped below at 0, not above: a class scoring above 1
        beats a background of 1 in the label rule); no per-class
        normalisation.

        Args:
            outputs (Tensor): ``forward`` output, (B, num_classes, h, w).
            size (tuple[int, int]): Output (H, W).
            labels (Tensor, optional): Multi-hot (B, num_classes) masking the
                maps; None keeps every class.

        Returns:
            Tensor: Maps >= 0, shape (B, num_classes, H, W).
        """
        maps = F.interpolate(
            outputs.float(), size=tuple(size), mode='bilinear', align_corners=self.align_corners
        ).clamp(min=0.0)
        if labels is not None:
            maps = maps * labels.to(maps)[:, :, None, None]
        return maps

    def stack_labels(self, data_samples: Sequence) -> Tensor:
        """Image-level labels of a batch, shape (B, num_classes) (see :func:`stack_cls_labels`)."""
        return stack_cls_labels(data_samples, self.num_classes, 'RefineHead', _FILE)
