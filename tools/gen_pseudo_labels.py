# Copyright (c) mmwsss contributors. All rights reserved.
"""Write localization maps and pseudo labels of a checkpoint, as a stage's PseudoLabelHook does.

    python tools/gen_pseudo_labels.py CONFIG CHECKPOINT [--out-dir DIR] [--work-dir DIR]
        [--precision auto|fp32|bf16|fp16] [--cfg-options k=v ...] [--launcher none|pytorch]

The settings (dataset, scales, flip, pseudo_label_cfg, batch_size, ...) are those of the config's
``PseudoLabelHook`` entry in ``custom_hooks`` (exactly one is required); ``--cfg-options`` can change
them, e.g. ``--cfg-options custom_hooks.0.pseudo_label_cfg.mode=threshold``. The output folder is
``--out-dir`` (relative to the current directory) or else the hook's ``out_dir`` (relative to the work
dir: ``--work-dir``, the config's ``work_dir`` or ``./work_dirs/<config name>``). Finished images are
skipped, so a killed run can simply be started again. Under ``torchrun ... --launcher pytorch`` every
rank takes its share of the images.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import get_dist_info, init_dist  # noqa: E402
from mmengine.logging import MMLogger, print_log  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import import_modules_from_strings  # noqa: E402

import mmwsss  # noqa: E402,F401  (registers modules, weights-only checkpoint loading)
from mmwsss.apis import PseudoLabelGenerator, build_model_from_cfg  # noqa: E402
from mmwsss.utils import init_process_group_if_needed  # noqa: E402
from mmwsss.utils.precision import PRECISIONS  # noqa: E402

_HOOK_TYPES = ('PseudoLabelHook', 'mmwsss.PseudoLabelHook', 'mmseg.PseudoLabelHook')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate localization maps and pseudo labels with a trained checkpoint')
    parser.add_argument('config', help='config file with a PseudoLabelHook in custom_hooks')
    parser.add_argument('checkpoint', help='checkpoint of the config\'s model')
    parser.add_argument('--out-dir', help='output folder (default: the hook\'s out_dir in the work dir)')
    parser.add_argument('--work-dir', help='work dir a relative hook out_dir is resolved against')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value pairs, e.g. '
        'custom_hooks.0.batch_size=8')
    parser.add_argument(
        '--precision', choices=PRECISIONS, default=None,
        help="numerics of the maps (default: the hook's, 'auto' unless set: bf16 autocast on a CPU "
        "with native bf16, fp16 on CUDA, else fp32); 'fp32' forces full precision")
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def hook_settings(cfg: Config, config_name: str) -> dict:
    """The keyword arguments of the config's single PseudoLabelHook entry (without type/priority)."""
    entries = [h for h in cfg.get('custom_hooks', None) or []
               if isinstance(h, dict) and h.get('type') in _HOOK_TYPES]
    if len(entries) != 1:
        raise SystemExit(f'{config_name}: expected exactly one PseudoLabelHook in custom_hooks, found '
                         f'{len(entries)}; the generation settings are read from it.')
    settings = dict(entries[0])
    settings.pop('type')
    settings.pop('priority', None)
    return settings


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    settings = hook_settings(cfg, args.config)

    if args.out_dir is not None:
        out_dir = osp.abspath(args.out_dir)
    else:
        work_dir = args.work_dir or cfg.get('work_dir', None) or osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0])
        out_dir = settings.get('out_dir', 'pseudo_labels')
        if not osp.isabs(out_dir):
            out_dir = osp.join(work_dir, out_dir)
    settings['out_dir'] = out_dir
    if args.precision is not None:
        settings['precision'] = args.precision

    if args.launcher != 'none':
        init_process_group_if_needed(args.launcher)  # gloo on CPU
        if torch.distributed.is_available() and not torch.distributed.is_initialized():
            init_dist(args.launcher)  # nccl with CUDA
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    rank, _ = get_dist_info()
    device = f"cuda:{os.environ.get('LOCAL_RANK', 0)}" if torch.cuda.is_available() else 'cpu'
    logger = MMLogger.get_instance('gen_pseudo_labels', log_level='INFO')

    # check the outputs, dataset and saliency maps before the (slower) model loading
    generator = PseudoLabelGenerator(name='gen_pseudo_labels', **settings)
    generator.prepare()
    try:
        model = build_model_from_cfg(cfg, args.checkpoint, device=device)
    except (RuntimeError, FileNotFoundError) as e:
        raise SystemExit(f'gen_pseudo_labels: {e}') from e
    metrics = generator.run(model, logger=logger)
    if rank == 0:
        print_log(f'gen_pseudo_labels: done; outputs in {out_dir}' +
                  (f', scores in {generator.metrics_path}' if metrics else ''), logger=logger)
    return metrics


if __name__ == '__main__':
    main()
