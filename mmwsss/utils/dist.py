# Copyright (c) mmwsss contributors. All rights reserved.
"""Distributed start-up that works with and without CUDA."""

import atexit
import os
import re
import shutil
import subprocess
from typing import Dict, Mapping, Optional

import torch
import torch.distributed as dist

__all__ = [
    'destroy_process_group_if_initialized',
    'init_process_group_if_needed',
    'slurm_env',
    'first_slurm_host',
]

_FILE = 'mmwsss/utils/dist.py'
SLURM_VARS = ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')


def first_slurm_host(nodelist: str) -> str:
    """The first host of a SLURM node list, as ``scontrol show hostnames`` would print it.

    Examples: ``'node07'`` -> ``'node07'``; ``'node[03-05,9]'`` -> ``'node03'``;
    ``'gpu[1-2],cpu4'`` -> ``'gpu1'``.

    Args:
        nodelist (str): ``SLURM_NODELIST`` (``SLURM_JOB_NODELIST``).

    Returns:
        str: The host name.
    """
    match = re.match(r'\s*([^,\[\s]+)(?:\[([^\]]+)\])?', nodelist or '')
    if not match:
        raise ValueError(f'{_FILE}: cannot read a host from SLURM_NODELIST={nodelist!r}.')
    prefix, ranges = match.groups()
    if ranges is None:
        return prefix
    first = ranges.split(',')[0].split('-')[0].strip()
    if not first.isdigit():
        raise ValueError(f'{_FILE}: cannot read a host from SLURM_NODELIST={nodelist!r}.')
    return prefix + first


def _master_addr(nodelist: str) -> str:
    """The job's first host: by ``scontrol`` where SLURM has it (as MMEngine), else parsed here."""
    if shutil.which('scontrol'):
        out = subprocess.run(
            ['scontrol', 'show', 'hostnames', nodelist], capture_output=True, text=True, check=False
        )
        hosts = out.stdout.split()
        if out.returncode == 0 and hosts:
            return hosts[0]
    return first_slurm_host(nodelist)


def slurm_env(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The torch.distributed variables a SLURM task implies (what MMEngine's ``init_dist('slurm')``
    sets): ``RANK`` = ``SLURM_PROCID``, ``WORLD_SIZE`` = ``SLURM_NTASKS``, ``LOCAL_RANK`` =
    ``SLURM_LOCALID`` (default: the rank), ``MASTER_ADDR`` (kept if set, else the first host of
    ``SLURM_NODELIST``) and ``MASTER_PORT`` (kept if set, else 29500).

    Args:
        environ (Mapping[str, str], optional): The environment. Defaults to ``os.environ``.

    Returns:
        dict[str, str]: The five variables.

    Raises:
        RuntimeError: A SLURM variable is missing or not a number (not started by ``srun``).
    """
    environ = os.environ if environ is None else environ
    missing = [k for k in SLURM_VARS if not environ.get(k)]
    if missing:
        raise RuntimeError(
            f'{_FILE}: --launcher slurm needs {missing} in the environment: start '
            'the script with srun (e.g. tools/slurm_train.sh or '
            'tools/slurm_pipeline.sh).'
        )
    try:
        rank = int(environ['SLURM_PROCID'])
        world_size = int(environ['SLURM_NTASKS'])
        local_rank = int(environ.get('SLURM_LOCALID', rank))
    except ValueError as e:
        raise RuntimeError(
            f'{_FILE}: SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID must be integers: {e}'
        ) from e
    if not 0 <= rank < world_size:
        raise RuntimeError(f'{_FILE}: SLURM_PROCID={rank} is not below SLURM_NTASKS={world_size}.')
    return dict(
        RANK=str(rank),
        WORLD_SIZE=str(world_size),
        LOCAL_RANK=str(local_rank),
        MASTER_ADDR=environ.get('MASTER_ADDR') or _master_addr(environ['SLURM_NODELIST']),
        MASTER_PORT=environ.get('MASTER_PORT') or '29500',
    )


def destroy_process_group_if_initialized() -> None:
    """Destroy the default process group if there is one (run at exit by every launched entry
    point, so that no collective thread outlives the interpreter)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def init_process_group_if_needed(launcher: str) -> None:
    """Creates the default process group for ``launcher='pytorch'`` or ``'slurm'`` when CUDA is
    absent.

    MMEngine's ``init_dist('pytorch')`` and ``init_dist('slurm')`` call ``torch.cuda.set_device``
    and so fail on a CPU-only machine. The Runner skips its own ``init_dist`` when a group already
    exists, so on CPU we create it here with gloo (for slurm after setting ``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` from the SLURM variables,
    see :func:`slurm_env`); with CUDA we leave everything to MMEngine (nccl). Under any launcher
    the default group is destroyed at exit (:func:`destroy_process_group_if_initialized`).

    Args:
        launcher (str): The ``--launcher`` of the entry point.
    """
    if launcher == 'none' or not dist.is_available():
        return
    # Gloo's worker threads must be joined before the interpreter is torn down, or a rank can
    # die with SIGABRT ("terminate called without an active exception") after finishing its work.
    atexit.unregister(destroy_process_group_if_initialized)  # once, however many stages call this
    atexit.register(destroy_process_group_if_initialized)
    if launcher not in ('pytorch', 'slurm') or torch.cuda.is_available():
        return
    if dist.is_initialized():
        return
    if launcher == 'slurm':
        os.environ.update(slurm_env())
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs {missing} in the environment: start the script '
            'with torchrun or tools/dist_train.sh'
        )
    dist.init_process_group(backend='gloo')
