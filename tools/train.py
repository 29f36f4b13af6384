# Copyright (c) mmwsss contributors. All rights reserved.
"""Train one stage from a config, like MMSeg's ``tools/train.py`` (same arguments)."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmwsss  # noqa: E402,F401  (registers modules, weights-only checkpoint loading)
from mmwsss.registry import RUNNERS  # noqa: E402
from mmwsss.utils import (adapt_cfg_to_machine,  # noqa: E402
                          init_process_group_if_needed)
from mmwsss.utils.precision import (describe_precision,  # noqa: E402
                                    resolve_precision, set_amp_optim_wrapper)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor (one WSSS stage)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None,
        help='resume from the latest checkpoint in the work dir, or from the given checkpoint')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic-mixed-precision training: fp16 with loss scaling on a GPU (as MMSeg), '
        'bf16 on a CPU with native bf16 (AMX-BF16/AVX512-BF16); refused on other CPUs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value pairs, e.g. train_cfg.max_epochs=3')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg = adapt_cfg_to_machine(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

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

    init_process_group_if_needed(args.launcher)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
