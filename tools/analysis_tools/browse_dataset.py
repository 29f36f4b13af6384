# Copyright (c) mmwsss contributors. All rights reserved.
"""Look at a WSSS dataset as a config reads it: image, image-level labels, saliency, mask and
pseudo label.

    python tools/analysis_tools/browse_dataset.py CONFIG [--split train|val|test] [--ids ID ...]
        [--num N] [--pseudo-label-dir DIR] [--augmented] [--out-dir DIR] [--cfg-options k=v ...]

Writes one PNG per image to ``--out-dir`` (default ``work_dirs/browse_dataset/<config name>``): the
image titled with its id and class names, its saliency map, its mask (``seg_map_path``: GT, or the
pseudo labels of a pseudo-label dataset) and, with ``--pseudo-label-dir``, the pseudo label
``<DIR>/<id>.png``; panels the dataset has no file for say so. By default the files are read as they
are on disk; ``--augmented`` runs the split's own pipeline instead (for the training split: the
random resize, flip and crop), so one can check that saliency and masks move with the image. It also
prints how many images each class has. Unlike MMSeg's ``browse_dataset.py``, it shows what WSSS
trains on: the image-level labels, not a mask.
"""

import argparse
import os
import os.path as osp
import sys
from collections import Counter
from typing import List, Optional, Sequence

import numpy as np

from mmwsss.apis import init_dataset
from mmwsss.datasets import voc_colormap
from mmwsss.datasets.stage_files import image_id, label_path
from mmwsss.utils import add_common_args, setup_cfg

_FILE = 'tools/analysis_tools/browse_dataset.py'
IGNORE = 255


def _read_gray(path: Optional[str], what: str) -> Optional[np.ndarray]:
    if not path:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(f'{_FILE}: {what} {path} does not exist.')
    from PIL import Image

    with Image.open(path) as img:
        return np.array(img if img.mode in ('P', 'L') else img.convert('L'))


def colour_labels(label: np.ndarray, palette: Sequence[Sequence[int]]) -> np.ndarray:
    """RGB picture of a label map; ignore (255) pale, unknown indices black."""
    lut = np.zeros((256, 3), np.uint8)
    for i, colour in enumerate(list(palette)[:255]):
        lut[i] = colour
    lut[IGNORE] = (224, 224, 192)
    return lut[label.astype(np.uint8)]


def collect(dataset, index: int, augmented: bool, pseudo_label_dir: Optional[str]) -> dict:
    """Panels of one image: ``image`` (H, W, 3) RGB, ``classes``, ``saliency``, ``mask``,
    ``pseudo`` (each (H, W) or None) and ``img_id``."""
    info = dataset.get_data_info(index)
    img_id = image_id(info['img_path'])
    if augmented:
        packed = dataset[index]
        sample = packed['data_samples']
        image = packed['inputs'].numpy().transpose(1, 2, 0)[..., ::-1]  # packed BGR -> RGB
        out = dict(image=np.ascontiguousarray(image), img_id=img_id, pseudo=None)
        out['saliency'] = sample.gt_saliency.data[0].numpy() if 'gt_saliency' in sample else None
        out['mask'] = sample.gt_sem_seg.data[0].numpy() if 'gt_sem_seg' in sample else None
        if 'gt_cls_label' in sample:
            out['classes'] = [i + 1 for i in np.flatnonzero(sample.gt_cls_label.numpy() > 0)]
        else:
            out['classes'] = list(info.get('cls_labels', []))
        return out
    import mmcv

    image = mmcv.imread(info['img_path'], channel_order='rgb')
    if image is None:
        raise FileNotFoundError(f'{_FILE}: image {info["img_path"]} cannot be read.')
    seg = info.get('seg_map_path')
    out = dict(
        image=image,
        img_id=img_id,
        classes=list(info.get('cls_labels', [])),
        saliency=_read_gray(info.get('sal_path'), 'saliency map'),
        mask=_read_gray(seg, 'mask') if seg and osp.isfile(seg) else None,
        pseudo=None,
    )
    if pseudo_label_dir:
        out['pseudo'] = _read_gray(label_path(pseudo_label_dir, img_id), 'pseudo label')
    for key in ('saliency', 'mask', 'pseudo'):
        if out[key] is not None and out[key].shape != image.shape[:2]:
            raise ValueError(
                f'{_FILE}: the {key} of {img_id} is {out[key].shape[1]}x'
                f'{out[key].shape[0]} (WxH), the image {image.shape[1]}x'
                f'{image.shape[0]}.'
            )
    return out


def draw(
    panels: dict, class_names: Sequence[str], palette: Sequence[Sequence[int]], path: str
) -> None:
    """Save one row: image, saliency, mask, pseudo label."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = [class_names[c] if 0 <= c < len(class_names) else str(c) for c in panels['classes']]
    titles = [
        f'{panels["img_id"]}: {", ".join(names) or "no label"}',
        'saliency',
        'mask',
        'pseudo label',
    ]
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
    for ax, title, key in zip(axes, titles, ('image', 'saliency', 'mask', 'pseudo')):
        ax.set_title(title, fontsize=9)
        ax.axis('off')
        value = panels[key]
        if value is None:
            ax.text(0.5, 0.5, 'none', ha='center', va='center', transform=ax.transAxes)
        elif key == 'image':
            ax.imshow(value)
        elif key == 'saliency':
            ax.imshow(value, cmap='gray', vmin=0, vmax=255)
        else:
            ax.imshow(colour_labels(value, palette), interpolation='nearest')
            present = [int(c) for c in np.unique(value) if c != IGNORE]
            ax.set_xlabel(
                ', '.join(class_names[c] if c < len(class_names) else str(c) for c in present)
            )
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def class_counts(dataset) -> Counter:
    """Images per class over the dataset's image-level labels."""
    counts: Counter = Counter()
    for i in range(len(dataset)):
        counts.update(dataset.get_data_info(i).get('cls_labels', []))
    return counts


def browse(
    dataset,
    ids: Optional[Sequence[str]] = None,
    num: int = 8,
    pseudo_label_dir: Optional[str] = None,
    augmented: bool = False,
    out_dir: str = 'work_dirs/browse_dataset',
) -> List[str]:
    """Write the pictures of a dataset; returns their paths."""
    meta = dataset.metainfo
    class_names = [str(c) for c in meta.get('classes', ())]
    palette = meta.get('palette') or voc_colormap(max(len(class_names), 1))
    if ids:
        index = {image_id(dataset.get_data_info(i)['img_path']): i for i in range(len(dataset))}
        missing = [i for i in ids if i not in index]
        if missing:
            raise ValueError(f'{_FILE}: image ids not in the dataset: {missing[:10]}.')
        chosen = [index[i] for i in ids]
    else:
        if num < 1:
            raise ValueError(f'{_FILE}: --num must be >= 1, got {num}.')
        chosen = list(range(min(num, len(dataset))))
    paths = []
    for i in chosen:
        panels = collect(dataset, i, augmented, pseudo_label_dir)
        path = osp.join(out_dir, panels['img_id'] + '.png')
        draw(panels, class_names, palette, path)
        paths.append(path)
    return paths


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Pictures of a WSSS dataset: image with its image-level labels, saliency, '
        'mask and pseudo label'
    )
    add_common_args(parser, runner=False)
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='train',
        help='which dataloader (default train)',
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--ids', nargs='+', help='image ids to show')
    group.add_argument('--num', type=int, default=8, help='the first N images (default 8)')
    parser.add_argument('--pseudo-label-dir', help='show <DIR>/<id>.png as the pseudo label')
    parser.add_argument(
        '--augmented',
        action='store_true',
        help="run the split's pipeline (augmentation) instead of reading files",
    )
    parser.add_argument('--out-dir', help='default work_dirs/browse_dataset/<config name>')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join(
        'work_dirs', 'browse_dataset', osp.splitext(osp.basename(args.config))[0]
    )
    try:
        dataset = init_dataset(setup_cfg(args, for_runner=False), args.split)
        paths = browse(dataset, args.ids, args.num, args.pseudo_label_dir, args.augmented, out_dir)
    except (ValueError, KeyError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    names = [str(c) for c in dataset.metainfo.get('classes', ())]
    counts = class_counts(dataset)
    print(
        f'{args.split}: {len(dataset)} images; images per class: '
        + ', '.join(f'{names[c] if c < len(names) else c} {n}' for c, n in sorted(counts.items()))
    )
    print(f'wrote {len(paths)} pictures to {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
