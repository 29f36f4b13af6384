# Copyright (c) mmwsss contributors. All rights reserved.
"""Distributed start-up that works with and without CUDA."""
import os

import torch
import torch.distributed as dist


def init_process_group_if_needed(launcher: str) -> None:
    """Creates the default process group for ``launcher='pytorch'`` when CUDA is absent.

    MMEngine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and so fails on a CPU-only machine.
    The Runner skips its own ``init_dist`` when a group already exists, so on CPU we create it here with
    gloo; with CUDA we leave everything to MMEngine (nccl).

    Args:
        launcher (str): The ``--launcher`` of the entry point.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if dist.is_available() and not dist.is_initialized():
        missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ]
        if missing:
            raise RuntimeError(f'--launcher pytorch needs {missing} in the environment: start the script '
                               'with torchrun or tools/dist_train.sh')
        dist.init_process_group(backend='gloo')
