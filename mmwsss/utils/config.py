# Copyright (c) mmwsss contributors. All rights reserved.
from typing import Any


def revert_sync_bn_cfg(cfg: Any) -> int:
    """Replaces every ``norm_cfg`` of type ``SyncBN`` by ``BN`` in place.

    MMSeg's configs default to SyncBN, which raises in distributed training without CUDA; the entry
    points call this on CPU-only machines.

    Args:
        cfg: A config (dict, list or Config node).

    Returns:
        int: The number of replacements.
    """
    count = 0
    if isinstance(cfg, dict):
        if cfg.get('type') == 'SyncBN':
            cfg['type'] = 'BN'
            count += 1
        for value in cfg.values():
            count += revert_sync_bn_cfg(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += revert_sync_bn_cfg(value)
    return count


def adapt_cfg_to_machine(cfg: Any, launcher: str) -> Any:
    """Makes a config run on this machine, with or without CUDA, unchanged on GPUs.

    Sets ``cfg.launcher``; under a launcher, wraps the model with :class:`DeviceAgnosticDDP` unless
    the config chooses a wrapper; without CUDA, switches SyncBN to BN.

    Args:
        cfg (Config): The loaded config, changed in place.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.

    Returns:
        Config: The same config.
    """
    import logging

    import torch
    from mmengine.logging import print_log

    cfg.launcher = launcher
    if launcher != 'none' and cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='DeviceAgnosticDDP')
    if not torch.cuda.is_available():
        n = revert_sync_bn_cfg(cfg._cfg_dict)
        if n:
            print_log(
                f'No CUDA: {n} SyncBN norm config(s) switched to BN.',
                logger='current',
                level=logging.WARNING,
            )
    return cfg
