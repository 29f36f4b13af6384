# Copyright (c) mmwsss contributors. All rights reserved.
"""Building an activation that may need to know its channel count."""

import copy
import inspect
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_activation_layer

from mmwsss.registry import ROOT_MODELS

_FILE = 'mmwsss/models/layers/activation.py'


def accepts_channels(act_type) -> bool:
    """Whether an activation class takes a ``channels`` argument.

    Args:
        act_type (str | type): Registered name or class.

    Returns:
        bool: True when its constructor has a ``channels`` parameter.
    """
    if isinstance(act_type, str):
        # the registry of the current default scope, which falls back on the
        # root one, as mmcv's build_activation_layer does
        with ROOT_MODELS.switch_scope_and_registry(None) as registry:
            cls = registry.get(act_type)
    else:
        cls = act_type
    if cls is None:
        raise KeyError(
            f'{_FILE}: activation type {act_type!r} is not '
            'registered in MODELS (is mmwsss imported?).'
        )
    if not inspect.isclass(cls):
        return False
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False
    return 'channels' in params


def build_activation(act_cfg: Optional[dict], channels: Optional[int] = None) -> nn.Module:
    """Build an activation layer, telling it ``channels`` when it asks.

    ``mmcv.cnn.build_activation_layer`` never passes a channel count; a
    channel-aware activation such as the learnable :class:`DRS` would then
    infer it lazily. Modules that know the count use this builder, so their
    parameters exist right away.

    Args:
        act_cfg (dict, optional): Activation config, e.g.
            ``dict(type='DRS', learnable=True)`` or ``dict(type='ReLU')``.
            None gives ``nn.Identity``.
        channels (int, optional): Channels of the input the activation sees.

    Returns:
        nn.Module: The activation.
    """
    if act_cfg is None:
        return nn.Identity()
    if not isinstance(act_cfg, dict) or 'type' not in act_cfg:
        raise TypeError(f'{_FILE}: act_cfg must be a dict with a "type" key, got {act_cfg!r}.')
    cfg = copy.deepcopy(dict(act_cfg))
    if (
        channels is not None
        and 'channels' not in cfg
        and 'in_channels' not in cfg
        and accepts_channels(cfg['type'])
    ):
        cfg['channels'] = channels
    return build_activation_layer(cfg)
