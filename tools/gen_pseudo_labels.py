# Copyright (c) mmwsss contributors. All rights reserved.
"""Write localization maps and pseudo labels of a checkpoint, as a stage's PseudoLabelHook does.

    python tools/gen_pseudo_labels.py CONFIG CHECKPOINT [--out-dir DIR] [--work-dir DIR]
        [--precision auto|fp32|bf16|fp16] [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

The settings (dataset, scales, flip, pseudo_label_cfg, batch_size, ...) are those of the config's
``PseudoLabelHook`` entry in ``custom_hooks`` (exactly one is required): the same
``PseudoLabelLoop`` is built from them. ``--cfg-options`` can change them, e.g.
``--cfg-options custom_hooks.0.pseudo_label_cfg.mode=threshold``. The output folder is
``--out-dir`` (relative to the current directory) or else the hook's ``out_dir`` (relative to the
work dir: ``--work-dir``, the config's ``work_dir`` or ``./work_dirs/<config name>``). Finished
images are skipped, so a killed run can simply be started again. Under ``torchrun ... --launcher
pytorch`` every rank takes its share of the images.
"""

import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import Config
from mmengine.dist import get_rank
from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmwsss.apis import load_model_checkpoint
from mmwsss.registry import LOOPS
from mmwsss.utils import add_common_args, setup_cfg
from mmwsss.utils.precision import PRECISIONS

_HOOK_TYPES = ('PseudoLabelHook', 'mmwsss.PseudoLabelHook', 'mmseg.PseudoLabelHook')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate localization maps and pseudo labels with a trained checkpoint'
    )
    add_common_args(parser, 'config file with a PseudoLabelHook in custom_hooks')
    parser.add_argument('checkpoint', help="checkpoint of the config's model")
    parser.add_argument(
        '--out-dir', help="output folder (default: the hook's out_dir in the work dir)"
    )
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default=None,
        help="numerics of the maps (default: the hook's, 'auto' unless set: bf16 autocast on a CPU "
        "with native bf16, fp16 on CUDA, else fp32); 'fp32' forces full precision",
    )
    return parser.parse_args(argv)


def hook_settings(cfg: Config, config_name: str) -> dict:
    """The settings of the config's single PseudoLabelHook entry (without type and priority)."""
    entries = [
        h
        for h in cfg.get('custom_hooks', None) or []
        if isinstance(h, dict) and h.get('type') in _HOOK_TYPES
    ]
    if len(entries) != 1:
        raise SystemExit(
            f'{config_name}: expected exactly one PseudoLabelHook in custom_hooks, found '
            f'{len(entries)}; the generation settings are read from it.'
        )
    settings = dict(entries[0])
    settings.pop('type')
    settings.pop('priority', None)
    return settings


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = setup_cfg(args)
    settings = hook_settings(cfg, args.config)
    if args.out_dir is not None:
        settings['out_dir'] = osp.abspath(args.out_dir)
    if args.precision is not None:
        settings['precision'] = args.precision
    # the model is the checkpoint's alone: no training parts, no hook of the stage runs
    for key in (
        'train_dataloader',
        'train_cfg',
        'optim_wrapper',
        'param_scheduler',
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
        'test_dataloader',
        'test_cfg',
        'test_evaluator',
    ):
        cfg[key] = None
    cfg.custom_hooks = []
    cfg.load_from = None

    runner = Runner.from_cfg(cfg)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    loop = LOOPS.build(dict(type='PseudoLabelLoop', **settings), default_args=dict(runner=runner))
    loop.prepare()  # outputs, dataset and saliency maps, before the (slower) checkpoint
    try:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        load_model_checkpoint(model, args.checkpoint, args.config)
    except (RuntimeError, FileNotFoundError) as e:
        raise SystemExit(f'gen_pseudo_labels: {e}') from e
    metrics = loop.run()
    if get_rank() == 0:
        runner.logger.info(
            f'gen_pseudo_labels: done; outputs in {loop.out_dir}'
            + (f', scores in {loop.metrics_path}' if metrics else '')
        )
    return metrics


if __name__ == '__main__':
    main()
