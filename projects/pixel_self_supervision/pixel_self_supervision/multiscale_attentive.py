# Copyright (c) mmwsss contributors. All rights reserved.
"""The Multi-scale Attentive Module (MAM): SupportNet's localization maps at several input scales,
fused, guide MainNet's maps towards the regions SupportNet finds and MainNet misses."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'projects/pixel_self_supervision/pixel_self_supervision/multiscale_attentive.py'


def normalized_maps(
    cams: Tensor, labels: Optional[Tensor] = None, detach_max: bool = False, eps: float = 1e-5
) -> Tensor:
    """``relu(cams)`` divided by its per-(image, class) maximum, masked by the labels.

    Args:
        cams (Tensor): Class activation maps, shape (B, K, h, w).
        labels (Tensor, optional): Multi-hot (B, K); None keeps every class.
        detach_max (bool): Divide by a detached maximum. Defaults to False.
        eps (float): Added to the maximum. Defaults to 1e-5.

    Returns:
        Tensor: Maps in [0, 1), shape (B, K, h, w).
    """
    maps = F.relu(cams)
    peak = maps.amax(dim=(2, 3), keepdim=True)
    maps = maps / ((peak.detach() if detach_max else peak) + eps)
    if labels is not None:
        maps = maps * labels.to(maps)[:, :, None, None]
    return maps


def fuse_maps(maps: Sequence[Tensor], fusion: str = 'max') -> Tensor:
    """Fuse maps of the same shape (B, K, h, w) by element-wise ``'max'`` or ``'mean'``."""
    if not maps:
        raise ValueError(f'{_FILE}: nothing to fuse.')
    stacked = torch.stack(list(maps))
    if fusion == 'max':
        return stacked.amax(dim=0)
    if fusion == 'mean':
        return stacked.mean(dim=0)
    raise ValueError(f"{_FILE}: fusion must be 'max' or 'mean', got {fusion!r}.")


def attentive_loss(
    main_maps: Tensor,
    support_maps: Tensor,
    labels: Tensor,
    up_weight: float = 1.0,
    down_weight: float = 0.5,
) -> Tensor:
    """Weighted L1 between MainNet's and SupportNet's maps over the classes of each image.

    ``up_weight * relu(S - M) + down_weight * relu(M - S)`` per pixel, averaged over the pixels of
    the labelled (image, class) pairs: where SupportNet's fused map S is higher, MainNet's map M
    is pulled up with ``up_weight``; where it is lower, M is pulled down with ``down_weight``.

    Args:
        main_maps (Tensor): MainNet's maps in [0, 1], shape (B, K, h, w).
        support_maps (Tensor): SupportNet's fused maps, same shape (a target, not differentiated).
        labels (Tensor): Multi-hot (B, K).
        up_weight (float): Weight where SupportNet is higher. Defaults to 1.0.
        down_weight (float): Weight where SupportNet is lower. Defaults to 0.5.

    Returns:
        Tensor: Scalar (zero when the image has no labels).
    """
    if main_maps.shape != support_maps.shape or labels.shape != main_maps.shape[:2]:
        raise ValueError(
            f'{_FILE}: main maps {tuple(main_maps.shape)}, support maps '
            f'{tuple(support_maps.shape)} and labels {tuple(labels.shape)} do not '
            'fit.'
        )
    diff = support_maps.detach() - main_maps
    per_pixel = up_weight * F.relu(diff) + down_weight * F.relu(-diff)
    weight = labels.to(main_maps)[:, :, None, None].expand_as(per_pixel)
    return (per_pixel * weight).sum() / weight.sum().clamp(min=1)


@MODELS.register_module()
class MultiScaleAttentiveModule(BaseModule):
    """Multi-scale Attentive Module: multi-scale SupportNet maps as MainNet's target.

    The segmentor runs SupportNet on the image resized by every scale of ``scales``; each pass
    gives normalised maps at MainNet's CAM size; they are fused (:func:`fuse_maps`) and MainNet's
    normalised maps are pulled towards them by :func:`attentive_loss`. No parameters.

    Args:
        scales (Sequence[int | float]): Input scales of SupportNet: a float is a factor of the
            input size, an int a square side. Defaults to (0.5, 1.0, 1.5).
        fusion (str): ``'max'`` or ``'mean'``. Defaults to ``'max'``.
        up_weight (float): Loss weight where SupportNet is higher. Defaults to 1.0.
        down_weight (float): Loss weight where SupportNet is lower. Defaults to 0.5.
        detach_max (bool): Normalise MainNet's maps by a detached maximum. Defaults to False.
        loss_weight (float): Weight of ``loss_mam``. Defaults to 1.0.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(
        self,
        scales: Sequence[Union[int, float]] = (0.5, 1.0, 1.5),
        fusion: str = 'max',
        up_weight: float = 1.0,
        down_weight: float = 0.5,
        detach_max: bool = False,
        loss_weight: float = 1.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        scales = (scales,) if isinstance(scales, (int, float)) else tuple(scales)
        if not scales or any(
            isinstance(s, bool) or not isinstance(s, (int, float)) or s <= 0 for s in scales
        ):
            raise ValueError(
                f'{_FILE}: scales must be positive ints (square sides) or floats '
                f'(factors), got {scales!r}.'
            )
        if fusion not in ('max', 'mean'):
            raise ValueError(f"{_FILE}: fusion must be 'max' or 'mean', got {fusion!r}.")
        if up_weight < 0 or down_weight < 0:
            raise ValueError(
                f'{_FILE}: up_weight and down_weight must be >= 0, got {up_weight} '
                f'and {down_weight}.'
            )
        self.scales: Tuple[Union[int, float], ...] = scales
        self.fusion = fusion
        self.up_weight = up_weight
        self.down_weight = down_weight
        self.detach_max = detach_max
        self.loss_weight = loss_weight

    def scaled_size(self, scale: Union[int, float], size: Sequence[int]) -> Tuple[int, int]:
        """The input size (h, w) of a scale for an input of ``size``."""
        if isinstance(scale, int):
            return scale, scale
        return max(1, int(round(size[0] * scale))), max(1, int(round(size[1] * scale)))

    def loss(self, main_cams: Tensor, support_maps: Sequence[Tensor], labels: Tensor) -> Tensor:
        """The weighted MAM loss.

        Args:
            main_cams (Tensor): MainNet's raw class activation maps, shape (B, K, h, w).
            support_maps (list[Tensor]): SupportNet's normalised maps of every scale, each
                (B, K, h, w) in [0, 1].
            labels (Tensor): Multi-hot (B, K).

        Returns:
            Tensor: ``loss_weight`` * :func:`attentive_loss` (scalar).
        """
        target = fuse_maps(support_maps, self.fusion)
        main = normalized_maps(main_cams.float(), labels, self.detach_max)
        return (
            attentive_loss(main, target.float(), labels, self.up_weight, self.down_weight)
            * self.loss_weight
        )
