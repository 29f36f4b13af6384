# Copyright (c) mmwsss contributors. All rights reserved.
"""What the DRS suppressors of a model do on real images: per layer, delta and the share clipped.

    python tools/analysis_tools/suppressor_stats.py CONFIG [CHECKPOINT] [--num 40] [--split train] \
        [--batch-size 8] [--out FILE] [--cfg-options k=v ...]

Without a checkpoint the model is taken as training starts (``init_weights``: the pretrained
backbone of ``init_cfg`` and freshly initialised new layers). Prints a markdown table: per suppressor,
the mean / min / max of the ratio ``delta`` over (image, channel) pairs, the share of positions it caps
(``relu(x) > delta * max``), and the share of channel maps that are zero everywhere; then, for the
images' labelled classes, how many raw class maps rise above zero anywhere (a map that does not is
empty after the localization maps' ReLU, however well the classifier ranks the image).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-layer statistics of the DRS suppressors')
    parser.add_argument('config', help='config of a model with DRS layers')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint; without one, the model as training starts')
    parser.add_argument('--num', type=int, default=40, help='images to run (default 40)')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train',
                        help='dataset of <split>_dataloader, read with the test pipeline')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per forward pass (1 where the test pipeline keeps the sizes)')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def _labels(samples: list, split: str):
    """The multi-hot image-level labels (B, C) of a batch's data samples."""
    import torch
    missing = [s.img_path for s in samples if 'gt_cls_label' not in s]
    if missing:
        raise ValueError(f'{missing[0]}: no image-level label in the {split} test pipeline '
                         '(LoadImageLevelLabels + PackWSSSInputs)')
    return torch.stack([s.gt_cls_label for s in samples])


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import logging

    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.logging import MMLogger

    from mmwsss.apis import init_model
    from mmwsss.utils.cam_peak_stats import cam_peak_stats, format_cam_peak_stats
    from mmwsss.utils.suppressor_stats import (collect_suppressor_stats,
                                               format_suppressor_stats)
    from mmwsss.visualization import build_vis_dataset

    if not osp.isfile(args.config):
        print(f'error: config {args.config} does not exist', file=sys.stderr)
        return 1
    if args.num < 1 or args.batch_size < 1:
        print('error: --num and --batch-size must be positive', file=sys.stderr)
        return 1
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init_weights' per-tensor report
    try:
        model = init_model(cfg, args.checkpoint)
        if args.checkpoint is None:
            model.init_weights()
        model.eval()
        dataset = build_vis_dataset(cfg, args.split)
        num = min(args.num, len(dataset))

        def batches():
            for start in range(0, num, args.batch_size):
                items = [dataset[i] for i in range(start, min(start + args.batch_size, num))]
                data = model.data_preprocessor(pseudo_collate(items), False)
                yield data['inputs'], data['data_samples']

        # one pass: the suppressors' hooks see the forward that also gives the class maps, of
        # which only the per-class peaks (B, C, 1, 1) are kept
        peaks_per_batch = []

        def forward(batch):
            inputs, samples = batch
            cams = model._forward(inputs)
            peaks_per_batch.append((cams.amax(dim=(2, 3), keepdim=True),
                                    _labels(samples, args.split)))

        with torch.no_grad():
            stats = collect_suppressor_stats(model, batches(), forward=forward)
        peaks = cam_peak_stats(peaks_per_batch)
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    source = args.checkpoint or 'the model at the start of training (init_weights)'
    table = format_suppressor_stats(stats) + '\n\n' + format_cam_peak_stats(peaks)
    print(f'{num} {args.split} images of {args.config}, {source}:\n\n{table}')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
