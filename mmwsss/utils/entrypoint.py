# Copyright (c) mmwsss contributors. All rights reserved.
"""The arguments every entry point with a config shares, and the config they make."""

import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from .config import adapt_cfg_to_machine
from .dist import init_process_group_if_needed

__all__ = ['LAUNCHERS', 'add_common_args', 'add_sample_args', 'setup_cfg']

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_common_args(
    parser: argparse.ArgumentParser, config_help: str = 'config file', runner: bool = True
) -> argparse.ArgumentParser:
    """Add ``config`` (positional, first) and ``--cfg-options`` to an entry point's parser, and for
    one that runs a Runner ``--work-dir``, ``--launcher`` and ``--local-rank``; add the entry
    point's own positional arguments after this.

    Args:
        parser (ArgumentParser): The parser.
        config_help (str): Help of the config argument.
        runner (bool): Add the Runner's arguments. Defaults to True.

    Returns:
        ArgumentParser: The same parser.
    """
    parser.add_argument('config', help=config_help)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs, e.g. train_cfg.max_epochs=3',
    )
    if runner:
        parser.add_argument(
            '--work-dir',
            help="the folder of logs and outputs (default: the config's work_dir, "
            'else ./work_dirs/<config name>)',
        )
        parser.add_argument(
            '--launcher',
            choices=LAUNCHERS,
            default='none',
            help='job launcher: torchrun (pytorch), srun (slurm) or mpirun (mpi)',
        )
        parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {value}')
    return number


def add_sample_args(
    parser: argparse.ArgumentParser, num: int, split: str = 'val'
) -> argparse.ArgumentParser:
    """Add ``--num``, ``--split`` and ``--batch-size`` to an analysis tool that runs a model over
    the first images of one of a config's datasets (read with the test pipeline).

    Args:
        parser (ArgumentParser): The parser.
        num (int): Default of ``--num``, the images to run.
        split (str): Default of ``--split``: 'train', 'val' or 'test'. Defaults to 'val'.

    Returns:
        ArgumentParser: The same parser.
    """
    parser.add_argument(
        '--num', type=_positive_int, default=num, help=f'images to run (default {num})'
    )
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default=split,
        help=f'dataset of <split>_dataloader, read with the test pipeline (default {split})',
    )
    parser.add_argument(
        '--batch-size',
        type=_positive_int,
        default=8,
        help='images per forward pass (default 8; 1 where the test pipeline keeps the sizes)',
    )
    return parser


def setup_cfg(args: argparse.Namespace, for_runner: bool = True) -> Config:
    """The config of an entry point's arguments (see :func:`add_common_args`).

    Loads ``args.config`` (FileNotFoundError if there is none) and merges ``--cfg-options``. For a
    config an MMEngine Runner runs
    (``for_runner``), it also makes the config fit this machine (:func:`adapt_cfg_to_machine`),
    sets ``work_dir`` (``--work-dir``, the config's, or ``./work_dirs/<config name>``) and creates
    the process group of ``--launcher`` where MMEngine cannot (gloo without CUDA).

    Args:
        args (Namespace): The parsed arguments.
        for_runner (bool): See above. Defaults to True.

    Returns:
        Config: The config.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if not for_runner:
        return cfg
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = adapt_cfg_to_machine(cfg, args.launcher)
    cfg.work_dir = (
        args.work_dir
        or cfg.get('work_dir', None)
        or osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    init_process_group_if_needed(args.launcher)
    return cfg
