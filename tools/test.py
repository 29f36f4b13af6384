# Copyright (c) mmwsss contributors. All rights reserved.
"""Test (and evaluate) a checkpoint, like MMSeg's ``tools/test.py`` (same arguments)."""

import argparse

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmwsss.registry import RUNNERS
from mmwsss.utils import add_common_args, setup_cfg
from mmwsss.utils.precision import (
    PRECISIONS,
    describe_precision,
    resolve_channels_last,
    resolve_precision,
    set_eval_precision,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a checkpoint of any stage')
    add_common_args(parser, 'test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='the dir to save the predicted label maps (one PNG per image)'
    )
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='dir to save painted overlays (vis_data/vis_image/ inside it), as MMSeg'
    )
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=1,
        help="draw every N-th test batch (MMSeg's hook defaults to 50)",
    )
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='auto',
        help="numerics of the test: 'auto' (default: bf16 autocast + channels_last on a CPU with "
        "native bf16, fp16 autocast on CUDA, else fp32), 'fp32' forces full precision",
    )
    parser.add_argument('--tta', action='store_true', help='test time augmentation (config tta_*)')
    return parser.parse_args()


def trigger_visualization_hook(cfg: Config, args: argparse.Namespace) -> Config:
    """Turns MMSeg's SegVisualizationHook on for ``--show``/``--show-dir``."""
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            '--show/--show-dir need a "visualization" hook (SegVisualizationHook) in '
            'default_hooks; the configs under configs/_base_/default_runtime.py have it.'
        )
    hook = default_hooks['visualization']
    hook['draw'] = True
    hook['interval'] = args.show_interval
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def drop_training_parts(cfg: Config) -> None:
    """Removes the training loop, data and optimizer from a config that is only tested.

    MMSeg's ``SegVisualizationHook`` reads ``runner.iter``, which builds the training loop, and with
    it the training dataset, when the config has one: testing on one split would then fail on a
    missing or unreadable *training* set. Without a training loop ``runner.iter`` is 0.
    """
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None


def set_output_dir(cfg: Config, out_dir: str) -> None:
    """Makes every IoUMetric-like evaluator write its label PNGs to ``out_dir``."""
    evaluators = (
        cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    )
    found = False
    for evaluator in evaluators:
        if 'output_dir' in evaluator or evaluator.get('type') in ('IoUMetric', 'mmseg.IoUMetric'):
            evaluator['output_dir'] = out_dir
            evaluator['keep_results'] = True
            found = True
    if not found:
        raise RuntimeError(
            f'--out {out_dir}: no metric in test_evaluator writes label maps (add an IoUMetric).'
        )


def main() -> None:
    args = parse_args()
    cfg = setup_cfg(args)
    cfg.load_from = args.checkpoint
    drop_training_parts(cfg)

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        set_output_dir(cfg, args.out)
    try:
        dtype = resolve_precision(args.precision)
    except ValueError as e:
        raise SystemExit(f'--precision: {e}') from e
    set_eval_precision(cfg, dtype)
    channels_last = resolve_channels_last('auto', dtype)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.logger.info(f'test.py: {describe_precision(dtype, channels_last)}')
    if channels_last:
        runner.model.to(memory_format=torch.channels_last)
    runner.test()


if __name__ == '__main__':
    main()
