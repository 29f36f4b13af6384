# Copyright (c) mmwsss contributors. All rights reserved.
"""Models and datasets of a config, for inference: weights loaded strictly, with a clear error when
they do not fit."""

import copy
import re
from collections import OrderedDict
from typing import Iterator, List, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
from mmengine.utils import import_modules_from_strings
from torch import nn
from torch.utils.data import Dataset

from mmwsss.registry import DATASETS, MODELS
from mmwsss.utils import revert_sync_bn_cfg

__all__ = [
    'check_checkpoint_fits',
    'load_model_checkpoint',
    'init_model',
    'init_dataset',
    'preprocessed_batches',
]

_FILE = 'mmwsss/apis/inference.py'
_SHOW = 10  # keys listed per kind of mismatch
_DATASET_WRAPPERS = (
    'RepeatDataset',
    'ClassBalancedDataset',
    'ConcatDataset',
    'mmengine.RepeatDataset',
    'mmengine.ClassBalancedDataset',
    'mmengine.ConcatDataset',
)


def _state_dict_of(checkpoint: dict) -> dict:
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict):
        raise TypeError('no state_dict')
    return OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())


def _listing(keys: list) -> str:
    shown = ', '.join(keys[:_SHOW])
    more = f' (+{len(keys) - _SHOW} more)' if len(keys) > _SHOW else ''
    return f'[{shown}]{more}'


def check_checkpoint_fits(
    model: nn.Module, checkpoint: dict, filename: str, config_name: Optional[str] = None
) -> None:
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
        raise RuntimeError(
            f'checkpoint {filename} holds no state_dict; it cannot be loaded into the model{of}.'
        ) from None
    convert = getattr(model, 'convert_legacy_keys', None)
    if callable(convert):  # a checkpoint of an older key layout, renamed while loading
        state_dict = convert(state_dict)
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
    raise RuntimeError(
        f'checkpoint {filename} does not fit the model {type(model).__name__}{of}: '
        + '; '.join(parts)
        + '. Was it trained with another config?'
    )


def load_model_checkpoint(
    model: nn.Module, filename: str, config_name: Optional[str] = None
) -> dict:
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


def init_model(
    config: Union[str, Config],
    checkpoint: Optional[str] = None,
    device: Union[str, torch.device] = 'cpu',
    cfg_options: Optional[dict] = None,
    init_weights: bool = False,
) -> nn.Module:
    """Build a config's model, load a checkpoint strictly and put it in eval mode (as MMSeg's
    ``init_model``, which loads non-strictly and cannot build every mmwsss model).

    The config's ``custom_imports`` are imported and its default scope set; without CUDA, SyncBN
    norm configs become BN (as the entry points do).

    Args:
        config (str | Config): A config (file).
        checkpoint (str, optional): Checkpoint to load strictly; its ``meta.dataset_meta`` becomes
            ``model.dataset_meta``. None leaves the weights as built.
        device (str | torch.device): Where the model goes. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        init_weights (bool): Without a checkpoint, run the model's ``init_weights`` (the
            ``init_cfg`` weights, e.g. a pretrained backbone, and freshly initialised new layers:
            the model as training starts). Defaults to False.

    Returns:
        nn.Module: The model, in eval mode, with the config attached as ``model.cfg``.

    Raises:
        FileNotFoundError: No such checkpoint.
        RuntimeError: The checkpoint does not fit the model (see :func:`check_checkpoint_fits`).
    """
    config_name = config if isinstance(config, str) else getattr(config, 'filename', None)
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    if not str(device).startswith('cuda'):
        revert_sync_bn_cfg(model_cfg)
    model = MODELS.build(model_cfg)
    if checkpoint is None and init_weights:
        model.init_weights()
    if checkpoint is not None:
        meta = load_model_checkpoint(model, checkpoint, config_name).get('meta', {})
        if isinstance(meta, dict) and meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']
    model.cfg = cfg
    return model.to(device).eval()


def init_dataset(
    config: Union[str, Config], split: str = 'test', test_pipeline: bool = False
) -> Dataset:
    """Build the dataset of a config's ``<split>_dataloader`` (dataset wrappers unwrapped).

    Args:
        config (str | Config): A config (file).
        split (str): 'train', 'val' or 'test'. Defaults to 'test'.
        test_pipeline (bool): Read the images with the config's test pipeline instead of the
            split's own (deterministic, with the test pipeline's ground truth; for the training
            set). Defaults to False.

    Returns:
        Dataset: The dataset.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if split not in ('test', 'val', 'train'):
        raise ValueError(f"{_FILE}: split must be 'test', 'val' or 'train', got {split!r}")
    key = f'{split}_dataloader'
    if not cfg.get(key) or 'dataset' not in cfg[key]:
        raise KeyError(f'{_FILE}: the config has no {key}.dataset')
    ds_cfg = copy.deepcopy(cfg[key]['dataset'])
    while ds_cfg.get('type') in _DATASET_WRAPPERS and 'dataset' in ds_cfg:
        ds_cfg = ds_cfg['dataset']
    if test_pipeline:
        test_loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
        pipeline = test_loader.get('dataset', {}).get('pipeline') or cfg.get('test_pipeline')
        if pipeline is None:
            raise KeyError(
                f'{_FILE}: the config has no test pipeline (test_dataloader.dataset'
                '.pipeline or test_pipeline) to read the images with'
            )
        ds_cfg['pipeline'] = copy.deepcopy(pipeline)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return DATASETS.build(ds_cfg)


def preprocessed_batches(
    model: nn.Module, dataset: Dataset, num: int, batch_size: int
) -> Iterator[Tuple[torch.Tensor, List]]:
    """The first ``num`` items of a dataset, in order, through the model's data preprocessor.

    Args:
        model (nn.Module): A model with a ``data_preprocessor``.
        dataset (Dataset): Its dataset (e.g. from :func:`init_dataset`).
        num (int): Items to read (at most ``len(dataset)``).
        batch_size (int): Items per batch.

    Yields:
        tuple[Tensor, list]: Inputs (B, 3, H, W) and their data samples.
    """
    from mmengine.dataset import pseudo_collate

    for start in range(0, num, batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, num))]
        data = model.data_preprocessor(pseudo_collate(items), False)
        yield data['inputs'], data['data_samples']
