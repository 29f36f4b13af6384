# Copyright (c) mmwsss contributors. All rights reserved.
from .checkpoint import (
    load_local_checkpoint,
    mmengine_checkpoint_globals,
    register_checkpoint_loader,
)
from .config import adapt_cfg_to_machine, revert_sync_bn_cfg
from .dist import init_process_group_if_needed
from .entrypoint import add_common_args, add_sample_args, setup_cfg

register_checkpoint_loader()

__all__ = [
    'load_local_checkpoint',
    'mmengine_checkpoint_globals',
    'register_checkpoint_loader',
    'init_process_group_if_needed',
    'revert_sync_bn_cfg',
    'adapt_cfg_to_machine',
    'add_common_args',
    'add_sample_args',
    'setup_cfg',
]
