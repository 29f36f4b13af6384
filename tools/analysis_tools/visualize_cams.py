# Copyright (c) mmwsss contributors. All rights reserved.
"""A PNG grid of localization maps: per image (image, heat map, pseudo label or prediction, GT).

    python tools/analysis_tools/visualize_cams.py CONFIG CHECKPOINT --out grid.png \
        [--img-ids ID ... | --num N] [--split test|val|train] [--pseudo-label-dir DIR] \
        [--per-class] [--cell-size 128] [--with-labels] [--device cpu] [--cfg-options k=v ...]

Works with any checkpoint of a map model (CAMClassifier, the refinement model) and with any MMSeg
segmentor (its softmax scores are the maps). ``--split train`` reads the training images with the
config's test pipeline.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Grid of localization maps, labels and GT')
    parser.add_argument('config', help='config file of the model and dataset')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='PNG file to write')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--img-ids', nargs='+', help='image ids (file stems) to show, in order')
    group.add_argument('--num', type=int, default=4, help='show the first N images (default 4)')
    parser.add_argument('--split', choices=['test', 'val', 'train'], default='test',
                        help="which dataloader's dataset (default test; train is read with the "
                        'test pipeline)')
    parser.add_argument('--pseudo-label-dir',
                        help='show <DIR>/<img_id>.png instead of the prediction')
    parser.add_argument('--per-class', action='store_true',
                        help='one heat map per class of the image instead of their maximum')
    parser.add_argument('--cell-size', type=int, default=128,
                        help='cell side in pixels (default 128)')
    parser.add_argument('--with-labels', action='store_true',
                        help='write class names on the overlays')
    parser.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import torch

    from mmwsss.visualization import build_vis_dataset, build_vis_model, make_cam_grid

    if not osp.isfile(args.config):
        print(f'error: config {args.config} does not exist', file=sys.stderr)
        return 1
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        model = build_vis_model(cfg, args.checkpoint, device)
        dataset = build_vis_dataset(cfg, args.split)
        grid = make_cam_grid(
            model,
            dataset,
            out_file=args.out,
            img_ids=args.img_ids,
            num=args.num,
            pseudo_label_dir=args.pseudo_label_dir,
            per_class=args.per_class,
            cell_size=args.cell_size,
            with_labels=args.with_labels)
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    print(f'{args.out}: {grid.shape[1]}x{grid.shape[0]} grid of {args.split} images')
    return 0


if __name__ == '__main__':
    sys.exit(main())
