# Copyright (c) mmwsss contributors. All rights reserved.
"""Build a model from a config and load a checkpoint into it, with a clear error when they do not fit."""
import re
from collections import OrderedDict
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
from mmengine.utils import import_modules_from_strings
from torch import nn

from mmwsss.registry import MODELS
from mmwsss.utils import revert_sync_bn_cfg

__all__ = ['check_checkpoint_fits', 'load_model_checkpoint', 'build_model_from_cfg']

_SHOW = 10  # keys listed per kind of mismatch


def _state_dict_of(checkpoint: dict) -> dict:
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict):
        raise TypeError('no state_dict')
    return OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())


def _listing(keys: list) -> str:
    shown = ', '.join(keys[:_SHOW])
    more = f' (+{len(keys) - _SHOW} more)' if len(keys) > _SHOW else ''
    return f'[{shown}]{more}'


def check_checkpoint_fits(model: nn.Module, checkpoint: dict, filename: str,
                          config_name: Optional[str] = None) -> None:
    """Raise a readable error unless ``checkpoint`` has exactly the model's weights and shapes.

    Args:
        model (nn.Module): The built model.
        checkpoint (dict): A loaded checkpoint (with ``state_dict``) or a bare state dict.
        filename (str): The checkpoint's path, for the message.
        config_name (str, optional): The config's path, for the message.

    Raises:
        RuntimeError: Naming the file, the missing and unexpected keys and the shape mismatches.
    """
    of = f' (config {config_name})' if config_name else ''
    try:
        state_dict = _state_dict_of(checkpoint)
    except TypeError:
        raise RuntimeError(f'checkpoint {filename} holds no state_dict; it cannot be loaded into the '
                           f'model{of}.') from None
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict and 'num_batches_tracked' not in k]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items()
        if k in own and isinstance(v, torch.Tensor) and tuple(v.shape) != tuple(own[k].shape)
    ]
    if not (missing or unexpected or shapes):
        return
    parts = []
    if missing:
        parts.append(f'{len(missing)} missing keys {_listing(missing)}')
    if unexpected:
        parts.append(f'{len(unexpected)} unexpected keys {_listing(unexpected)}')
    if shapes:
        parts.append(f'{len(shapes)} shape mismatches {_listing(shapes)}')
    raise RuntimeError(f'checkpoint {filename} does not fit the model {type(model).__name__}{of}: '
                       + '; '.join(parts) + '. Was it trained with another config?')


def load_model_checkpoint(model: nn.Module, filename: str,
                          config_name: Optional[str] = None) -> dict:
    """Load ``filename`` into ``model`` strictly (MMEngine's loader; weights-only safe).

    Args:
        model (nn.Module): The built model.
        filename (str): Checkpoint path (local or any MMEngine backend).
        config_name (str, optional): For error messages.

    Returns:
        dict: The checkpoint (with ``meta``).
    """
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    check_checkpoint_fits(model, checkpoint, filename, config_name)
    _load_checkpoint_to_model(model, checkpoint, strict=True)
    return checkpoint


def build_model_from_cfg(cfg: Union[str, Config],
                         checkpoint: Optional[str] = None,
                         device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """Build ``cfg.model`` (in the config's default scope), load a checkpoint, put it in eval mode.

    Without CUDA, SyncBN norm configs become BN (as the entry points do).

    Args:
        cfg (str | Config): A config (file).
        checkpoint (str, optional): Checkpoint to load strictly.
        device (str | torch.device): Where the model goes. Defaults to 'cpu'.

    Returns:
        nn.Module: The model, in eval mode, with ``cfg`` attached as ``model.cfg``.
    """
    config_name = cfg if isinstance(cfg, str) else getattr(cfg, 'filename', None)
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.copy()
    if not torch.cuda.is_available():
        revert_sync_bn_cfg(model_cfg)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        meta = load_model_checkpoint(model, checkpoint, config_name).get('meta', {})
        if isinstance(meta, dict) and meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']
    model.cfg = cfg
    return model.to(device).eval()
