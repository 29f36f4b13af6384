# Copyright (c) mmwsss contributors. All rights reserved.
"""MMSeg's ResNetV1c with every activation built from ``act_cfg`` (e.g. the DRS suppressor).

MMSeg's ``BasicBlock``/``Bottleneck`` and the deep stem hard-code ``nn.ReLU``, and ``ResNet`` takes
no ``act_cfg``; mmcv plugins go only after conv1/2/3 of a Bottleneck, before the activation (and
before the residual add for conv3). :class:`DRSResNetV1c` keeps MMSeg's modules and parameter names
and replaces each ReLU by its own activation module:

- stem: ``stem.2``, ``stem.5``, ``stem.8`` (after each conv + BN);
- BasicBlock: ``act1`` (after conv1 + BN) and ``act_out`` (after the residual add);
- Bottleneck: ``act1``, ``act2`` (after conv1/conv2 + BN) and ``act_out`` (after the add).

Where DRS goes and why: ``docs/drs_in_resnets.md``.
"""

from typing import Optional

import torch.nn as nn
import torch.utils.checkpoint as cp
from mmseg.models.backbones.resnet import BasicBlock, Bottleneck, ResNetV1c
from torch import Tensor

from mmwsss.models.layers import build_activation
from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/backbones/drs_resnet.py'
_RELU = dict(type='ReLU', inplace=True)


class ActBasicBlock(BasicBlock):
    """MMSeg's ``BasicBlock`` with its two activations built from ``act_cfg``.

    Args:
        act_cfg (dict, optional): Activation after conv1 + BN (``act1``) and after the residual add
            (``act_out``); a channel-aware one (learnable DRS) is told ``planes``.
            Default: ``dict(type='ReLU', inplace=True)`` (MMSeg's block).
        **kwargs: ``BasicBlock``'s arguments.
    """

    def __init__(self, *args, act_cfg: Optional[dict] = _RELU, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.relu  # one shared parameter-free ReLU in MMSeg; one module per place here
        planes = self.norm2.num_features
        self.act1 = build_activation(act_cfg, planes)
        self.act_out = build_activation(act_cfg, planes * self.expansion)

    def forward(self, x: Tensor) -> Tensor:
        """MMSeg's ``BasicBlock.forward`` with ``act1`` / ``act_out`` in the ReLUs' places.

        Args:
            x (Tensor): Shape (B, inplanes, H, W).

        Returns:
            Tensor: Shape (B, planes, H / stride, W / stride).
        """

        def _inner_forward(x):
            identity = x
            out = self.act1(self.norm1(self.conv1(x)))
            out = self.norm2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            return out + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=False)
        else:
            out = _inner_forward(x)
        return self.act_out(out)


class ActBottleneck(Bottleneck):
    """MMSeg's ``Bottleneck`` with its three activations built from ``act_cfg``.

    Plugins (``after_conv1/2/3``) stay where MMSeg puts them: after ``act1``, after ``act2``, and
    after conv3 + BN before the residual add.

    Args:
        act_cfg (dict, optional): Activation after conv1 + BN (``act1``, ``planes`` channels),
            conv2 + BN (``act2``, ``planes``) and the residual add (``act_out``, ``4 * planes``).
            Default: ``dict(type='ReLU', inplace=True)`` (MMSeg's block).
        **kwargs: ``Bottleneck``'s arguments.
    """

    def __init__(self, *args, act_cfg: Optional[dict] = _RELU, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.relu
        self.act1 = build_activation(act_cfg, self.planes)
        self.act2 = build_activation(act_cfg, self.planes)
        self.act_out = build_activation(act_cfg, self.planes * self.expansion)

    def forward(self, x: Tensor) -> Tensor:
        """MMSeg's ``Bottleneck.forward``, ``act1`` / ``act2`` / ``act_out`` in the ReLUs' places.

        Args:
            x (Tensor): Shape (B, inplanes, H, W).

        Returns:
            Tensor: Shape (B, 4 * planes, H / stride, W / stride).
        """

        def _inner_forward(x):
            identity = x
            out = self.act1(self.norm1(self.conv1(x)))
            if self.with_plugins:
                out = self.forward_plugin(out, self.after_conv1_plugin_names)
            out = self.act2(self.norm2(self.conv2(out)))
            if self.with_plugins:
                out = self.forward_plugin(out, self.after_conv2_plugin_names)
            out = self.norm3(self.conv3(out))
            if self.with_plugins:
                out = self.forward_plugin(out, self.after_conv3_plugin_names)
            if self.downsample is not None:
                identity = self.downsample(x)
            return out + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=False)
        else:
            out = _inner_forward(x)
        return self.act_out(out)


_ACT_BLOCKS = {BasicBlock: ActBasicBlock, Bottleneck: ActBottleneck}


@MODELS.register_module()
class DRSResNetV1c(ResNetV1c):
    """MMSeg's ResNetV1c (deep stem) whose every activation is built from ``act_cfg``.

    Everything else is MMSeg's ``ResNetV1c``: the arguments, the modules and their names (so MMSeg's
    ImageNet checkpoints such as ``open-mmlab://resnet50_v1c`` load unchanged), the default
    initialisation (zero-init residual included), ``frozen_stages`` and ``norm_eval``. With the
    default ReLU it computes exactly what ``ResNetV1c`` computes with the same weights. A learnable
    DRS adds a ``C x C`` matrix per activation under new keys (``stem.2.fc.weight``,
    ``layer1.0.act1.fc.weight``, ..., ``layer4.2.act_out.fc.weight``): 22,640,640 parameters in
    ResNet-50, 42,694,656 in ResNet-101 (their convs and BNs have 23.5 M and 42.5 M).

    Args:
        act_cfg (dict, optional): Every activation of the stem and the blocks, the one after each
            residual add included, e.g. ``dict(type='DRS', delta=0.55)``,
            ``dict(type='DRS', learnable=True)`` (told its channel count) or the default
            ``dict(type='ReLU', inplace=True)``. None gives no activation at all.
        **kwargs: ``ResNetV1c``'s (i.e. MMSeg ``ResNet``'s) arguments: ``depth``,
            ``stem_channels``, ``base_channels``, ``strides``, ``dilations``, ``out_indices``,
            ``contract_dilation``, ``norm_cfg``, ``norm_eval``, ``with_cp``, ``init_cfg``, ...

    Example:
        >>> import mmwsss  # noqa
        >>> from mmwsss.registry import MODELS
        >>> net = MODELS.build(dict(type='DRSResNetV1c', depth=18,
        ...                         act_cfg=dict(type='DRS', delta=0.55)))
    """

    def __init__(self, act_cfg: Optional[dict] = _RELU, **kwargs) -> None:
        if act_cfg is not None and (not isinstance(act_cfg, dict) or 'type' not in act_cfg):
            raise TypeError(
                f'{_FILE}: act_cfg must be a dict with a "type" key or None, got {act_cfg!r}.'
            )
        if 'deep_stem' in kwargs or 'avg_down' in kwargs:
            raise TypeError(
                f'{_FILE}: DRSResNetV1c is ResNetV1c (deep stem, no average-pool '
                'downsampling); deep_stem and avg_down cannot be set.'
            )
        # read by _make_stem_layer and make_res_layer, which ResNet.__init__ calls
        object.__setattr__(self, '_act_cfg', act_cfg)
        super().__init__(**kwargs)
        self.act_cfg = act_cfg

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        """MMSeg's deep stem with its three ReLUs (``stem.2/5/8``) built from ``act_cfg``."""
        super()._make_stem_layer(in_channels, stem_channels)
        for idx in (2, 5, 8):
            assert isinstance(self.stem[idx], nn.ReLU), f'{_FILE}: unexpected stem {self.stem}'
            channels = self.stem[idx - 1].num_features
            self.stem[idx] = build_activation(self._act_cfg, channels)

    def make_res_layer(self, **kwargs) -> nn.Module:
        """MMSeg's ``ResLayer`` of blocks whose activations are built from ``act_cfg``."""
        block = kwargs['block']
        if block not in _ACT_BLOCKS:
            raise TypeError(f'{_FILE}: no activation-configurable version of {block.__name__}.')
        kwargs['block'] = _ACT_BLOCKS[block]
        return super().make_res_layer(act_cfg=self._act_cfg, **kwargs)
