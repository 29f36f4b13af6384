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
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image

from mmwsss.apis import init_dataset, init_model
from mmwsss.datasets import voc_colormap
from mmwsss.datasets.stage_files import image_id, label_path
from mmwsss.utils import add_common_args, setup_cfg
from mmwsss.visualization import CamGridRow, render_grid, row_from_prediction

_FILE = 'tools/analysis_tools/visualize_cams.py'


def select_indices(dataset, img_ids: Optional[Sequence[str]] = None, num: int = 4) -> List[int]:
    """Dataset indices of the chosen images: by id, else the first ``num``.

    Raises:
        KeyError: Some ids are not in the dataset (they are named).
    """
    if img_ids:
        index = {image_id(dataset.get_data_info(i)['img_path']): i for i in range(len(dataset))}
        missing = [i for i in img_ids if i not in index]
        if missing:
            raise KeyError(
                f'{_FILE}: image ids not in the dataset: {missing[:10]}'
                f'{" ..." if len(missing) > 10 else ""}'
            )
        return [index[i] for i in img_ids]
    if num < 1:
        raise ValueError(f'{_FILE}: num must be >= 1, got {num}')
    return list(range(min(num, len(dataset))))


def _read_label_png(path: str, size: Sequence[int], what: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{_FILE}: {what} {path} does not exist')
    with Image.open(path) as img:
        label = np.array(img)
    if label.ndim != 2:
        raise ValueError(f'{_FILE}: {what} {path} is not a single-channel (palette or grey) PNG')
    if label.shape != tuple(size):
        raise ValueError(
            f'{_FILE}: {what} {path} is {label.shape[1]}x{label.shape[0]}, the image '
            f'{size[1]}x{size[0]}'
        )
    return label.astype(np.int64)


@torch.no_grad()
def collect_row(
    model: torch.nn.Module, dataset, index: int, pseudo_label_dir: Optional[str] = None
) -> CamGridRow:
    """The grid row of one image of the dataset, from the model's prediction.

    A map model's maps are its ``seg_logits[1:]`` (masked by the image's labels), any other
    segmentor's the softmax scores of its ``seg_logits``. The label is the PNG ``<img_id>.png`` of
    ``pseudo_label_dir`` if given, else the prediction; the ground truth comes from the test
    pipeline, else from the data info's ``seg_map_path``.

    Args:
        model (torch.nn.Module): A segmentor in eval mode.
        dataset (BaseSegDataset): Dataset with a test pipeline.
        index (int): Dataset index.
        pseudo_label_dir (str, optional): Folder of pseudo-label PNGs.

    Returns:
        CamGridRow: The row.
    """
    info = dataset.get_data_info(index)
    img_id = image_id(info['img_path'])
    image = np.array(Image.open(info['img_path']).convert('RGB'))
    data = model.data_preprocessor(pseudo_collate([dataset[index]]), False)
    sample = model.predict(data['inputs'], data['data_samples'])[0]
    row = row_from_prediction(
        sample, image, img_id, hasattr(model, 'localization_maps'), info.get('cls_labels')
    )
    if pseudo_label_dir is not None:
        row.label = _read_label_png(
            label_path(pseudo_label_dir, img_id), image.shape[:2], 'pseudo label'
        )
        row.label_title = 'pseudo label'
    if row.gt is None and info.get('seg_map_path') and osp.isfile(info['seg_map_path']):
        row.gt = _read_label_png(info['seg_map_path'], image.shape[:2], 'ground-truth mask')
    return row


def make_cam_grid(
    model: torch.nn.Module,
    dataset,
    out_file: Optional[str] = None,
    img_ids: Optional[Sequence[str]] = None,
    num: int = 4,
    pseudo_label_dir: Optional[str] = None,
    per_class: bool = False,
    cell_size: int = 128,
    with_labels: bool = False,
) -> np.ndarray:
    """Collect the chosen images' rows, draw the grid and optionally save it as a PNG.

    Args:
        model (torch.nn.Module): A segmentor in eval mode (a map model or any MMSeg one).
        dataset (BaseSegDataset): The dataset (test pipeline).
        out_file (str, optional): PNG to write (folders are created).
        img_ids (Sequence[str], optional): Images by id; default the first ``num``.
        num (int): Number of images when no ids are given. Defaults to 4.
        pseudo_label_dir (str, optional): Pseudo-label PNGs to show instead of predictions.
        per_class (bool): One heat map per class. Defaults to False.
        cell_size (int): Cell side in pixels. Defaults to 128.
        with_labels (bool): Class names on the label overlays. Defaults to False.

    Returns:
        np.ndarray: The RGB grid, see :func:`mmwsss.visualization.render_grid`.
    """
    rows = [
        collect_row(model, dataset, i, pseudo_label_dir)
        for i in select_indices(dataset, img_ids, num)
    ]
    classes = list(dataset.metainfo['classes'])
    palette = dataset.metainfo.get('palette') or voc_colormap(len(classes))
    grid = render_grid(rows, classes, palette, per_class, cell_size, with_labels)
    if out_file:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        Image.fromarray(grid).save(out_file)
    return grid


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Grid of localization maps, labels and GT')
    add_common_args(parser, 'config file of the model and dataset', runner=False)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='PNG file to write')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--img-ids', nargs='+', help='image ids (file stems) to show, in order')
    group.add_argument('--num', type=int, default=4, help='show the first N images (default 4)')
    parser.add_argument(
        '--split',
        choices=['test', 'val', 'train'],
        default='test',
        help="which dataloader's dataset (default test; train is read with the test pipeline)",
    )
    parser.add_argument(
        '--pseudo-label-dir', help='show <DIR>/<img_id>.png instead of the prediction'
    )
    parser.add_argument(
        '--per-class',
        action='store_true',
        help='one heat map per class of the image instead of their maximum',
    )
    parser.add_argument(
        '--cell-size', type=int, default=128, help='cell side in pixels (default 128)'
    )
    parser.add_argument(
        '--with-labels', action='store_true', help='write class names on the overlays'
    )
    parser.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        cfg = setup_cfg(args, for_runner=False)
        model = init_model(cfg, args.checkpoint, device)
        dataset = init_dataset(cfg, args.split, test_pipeline=args.split == 'train')
        grid = make_cam_grid(
            model,
            dataset,
            out_file=args.out,
            img_ids=args.img_ids,
            num=args.num,
            pseudo_label_dir=args.pseudo_label_dir,
            per_class=args.per_class,
            cell_size=args.cell_size,
            with_labels=args.with_labels,
        )
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    print(f'{args.out}: {grid.shape[1]}x{grid.shape[0]} grid of {args.split} images')
    return 0


if __name__ == '__main__':
    sys.exit(main())
