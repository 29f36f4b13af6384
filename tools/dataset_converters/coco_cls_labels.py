#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Derive MS COCO 2014's image-level class label file from its WSSS masks, once.

The masks are index PNGs with values 0..80 (0 background, k the k-th COCO category by increasing
category id, 255 ignore), e.g. ``mask/train2014/COCO_train2014_000000000009.png``. Example::

    python tools/dataset_converters/coco_cls_labels.py data/coco2014 \\
        --mask-dirs mask/train2014 mask/val2014 --out cls_labels.txt --nproc 8
"""

import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

from mmwsss.datasets.cls_label_file import derive_cls_labels, write_cls_label_file

COCO_NUM_CLASSES = 81


def make_coco_cls_labels(
    data_root: str,
    mask_dirs: Sequence[str] = ('mask/train2014', 'mask/val2014'),
    out_file: str = 'cls_labels.txt',
    num_classes: int = COCO_NUM_CLASSES,
    nproc: int = 1,
) -> Dict[str, List[int]]:
    """Write one class label file covering every mask of ``mask_dirs``.

    Args:
        data_root (str): COCO 2014 folder.
        mask_dirs (Sequence[str]): Mask folders, relative to ``data_root``. Defaults to
            ``('mask/train2014', 'mask/val2014')``.
        out_file (str): Output file, relative to ``data_root`` unless absolute.
        num_classes (int): Classes including background. Defaults to 81.
        nproc (int): Worker processes. Defaults to 1.

    Returns:
        dict[str, list[int]]: Image id -> foreground class indices, as written.
    """
    labels: Dict[str, List[int]] = {}
    for mask_dir in mask_dirs:
        folder = osp.join(data_root, mask_dir)
        part = derive_cls_labels(folder, None, num_classes, nproc=nproc)
        dup = sorted(set(part) & set(labels))
        if dup:
            raise ValueError(
                f'image ids {dup[:3]} appear in {folder} and in an earlier mask folder'
            )
        labels.update(part)
    write_cls_label_file(osp.join(data_root, out_file), labels)
    return labels


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Derive the COCO image-level class label file from masks'
    )
    parser.add_argument('data_root', help='COCO 2014 folder')
    parser.add_argument(
        '--mask-dirs',
        nargs='+',
        default=['mask/train2014', 'mask/val2014'],
        help='mask folders, relative to data_root',
    )
    parser.add_argument(
        '--out', default='cls_labels.txt', help='output file, relative to data_root'
    )
    parser.add_argument(
        '--num-classes', type=int, default=COCO_NUM_CLASSES, help='classes incl. background'
    )
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    labels = make_coco_cls_labels(
        args.data_root, args.mask_dirs, args.out, args.num_classes, args.nproc
    )
    empty = [i for i, c in labels.items() if not c]
    print(f'wrote {len(labels)} images to {osp.join(args.data_root, args.out)}')
    if empty:
        print(
            f'warning: {len(empty)} images have no foreground class '
            f'(e.g. {empty[:3]}); leave them out '
            'of the image lists or set skip_unlabeled=True in the dataset',
            file=sys.stderr,
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
