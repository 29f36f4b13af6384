# Copyright (c) mmwsss contributors. All rights reserved.
"""Train one stage from a config, like MMSeg's ``tools/train.py`` (same arguments)."""

import argparse
import gc

import torch
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmwsss.registry import RUNNERS
from mmwsss.utils import add_common_args, setup_cfg
from mmwsss.utils.dist import destroy_process_group_if_initialized
from mmwsss.utils.precision import describe_precision, resolve_precision, set_amp_optim_wrapper


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor (one WSSS stage)')
    add_common_args(parser, 'train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from the latest checkpoint in the work dir, or from the given checkpoint',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training: fp16 with loss scaling on a GPU (as '
        'MMSeg), bf16 on a CPU with native bf16 (AMX-BF16/AVX512-BF16); refused on other CPUs',
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = setup_cfg(args)
    if args.amp:
        if set_amp_optim_wrapper(cfg, None):
            print_log('AMP training is already enabled in your config.', logger='current')
        else:
            try:
                # a GPU's fp16 (as MMSeg), or the CPU's bf16 where it is native; refused elsewhere
                dtype = resolve_precision('fp16' if torch.cuda.is_available() else 'bf16')
            except ValueError as e:
                raise SystemExit(f'--amp: {e}') from e
            set_amp_optim_wrapper(cfg, dtype)
            print_log(f'--amp: training with {describe_precision(dtype, False)}', logger='current')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    # free the Runner (its DDP wrapper may keep the gloo group alive), then destroy the group
    # while the interpreter is whole (at exit a rank can abort on a gloo thread still running)
    del runner
    gc.collect()
    destroy_process_group_if_initialized()


if __name__ == '__main__':
    main()
