# Copyright (c) mmwsss contributors. All rights reserved.
"""Stage-by-stage access to the backbones the Mid-Level
Distribution-and-Collection Module can wrap (DRSVGG, MMSeg's ResNet)."""

from typing import Callable, Dict, Tuple, Type

import torch.nn as nn
from mmseg.models.backbones import ResNet
from torch import Tensor

from mmwsss.models.backbones import DRSVGG

_FILE = 'projects/destruction_learning/destruction_learning/staged_backbone.py'


class StagedBackbone:
    """Runs a backbone one stage at a time, as its own ``forward`` would.

    Not an ``nn.Module``: it holds a reference to the wrapped backbone (whose
    parameters stay registered where they are) and only knows how to call
    its parts.

    Args:
        backbone (nn.Module): A supported backbone (see :data:`ADAPTERS`).
    """

    def __init__(self, backbone: nn.Module) -> None:
        self.backbone = backbone

    @property
    def num_stages(self) -> int:
        raise NotImplementedError

    @property
    def out_indices(self) -> Tuple[int, ...]:
        return tuple(self.backbone.out_indices)

    def stem(self, x: Tensor) -> Tensor:
        """What runs before stage 0 (identity by default)."""
        return x

    def stage(self, x: Tensor, index: int) -> Tensor:
        """Run stage ``index`` on ``x``."""
        raise NotImplementedError

    def stride(self, index: int) -> int:
        """The downsampling factor of stage ``index``."""
        raise NotImplementedError


class DRSVGGStages(StagedBackbone):
    """Stages of ``DRSVGG``: 0-4, the VGG blocks; pools 1-3 halve the size.

    Reads ``DRSVGG._stage_ends`` (where each stage ends in ``features``) and
    applies the optional ``norms`` exactly as ``DRSVGG.forward`` does.
    """

    @property
    def num_stages(self) -> int:
        return len(self.backbone._stage_ends)

    def stage(self, x: Tensor, index: int) -> Tensor:
        ends = self.backbone._stage_ends
        start = ends[index - 1] if index > 0 else 0
        norms = self.backbone.norms
        for idx in range(start, ends[index]):
            x = self.backbone.features[idx](x)
            if norms is not None and str(idx) in norms:
                x = norms[str(idx)](x)
        return x

    def stride(self, index: int) -> int:
        stride = 1
        for idx in range(
            self.backbone._stage_ends[index - 1] if index else 0, self.backbone._stage_ends[index]
        ):
            module = self.backbone.features[idx]
            if isinstance(module, nn.MaxPool2d):
                s = module.stride
                stride *= s if isinstance(s, int) else s[0]
        return stride


class ResNetStages(StagedBackbone):
    """Stages of MMSeg's ``ResNet`` (and ``ResNetV1c``/``V1d``): the stem and
    max pool run first, then the residual layers ``layer1``... are stages
    0, 1, ..."""

    @property
    def num_stages(self) -> int:
        return len(self.backbone.res_layers)

    def stem(self, x: Tensor) -> Tensor:
        net = self.backbone
        if net.deep_stem:
            x = net.stem(x)
        else:
            x = net.relu(net.norm1(net.conv1(x)))
        return net.maxpool(x)

    def stage(self, x: Tensor, index: int) -> Tensor:
        return getattr(self.backbone, self.backbone.res_layers[index])(x)

    def stride(self, index: int) -> int:
        return int(self.backbone.strides[index])


# Checked in order with isinstance, so subclasses are covered.
ADAPTERS: Dict[Type[nn.Module], Callable[[nn.Module], StagedBackbone]] = {
    DRSVGG: DRSVGGStages,
    ResNet: ResNetStages,
}


def staged(backbone: nn.Module) -> StagedBackbone:
    """The stage adapter of a backbone.

    Raises:
        TypeError: If the backbone type has no adapter.
    """
    for cls, adapter in ADAPTERS.items():
        if isinstance(backbone, cls):
            return adapter(backbone)
    raise TypeError(
        f'{_FILE}: cannot split {type(backbone).__name__} into stages; '
        f'supported: {[c.__name__ for c in ADAPTERS]} and their subclasses '
        '(add an adapter to ADAPTERS for another backbone).'
    )
