#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Derive PASCAL VOC's image-level class label file from its masks, once.

Example::

    python tools/dataset_converters/voc_cls_labels.py data/VOCdevkit/VOC2012 \\
        --mask-dir SegmentationClassAug --out cls_labels.txt

writes ``data/VOCdevkit/VOC2012/cls_labels.txt``: ``<image id> <class index> ...`` per image, the
unique mask values except background 0 and ignore 255.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss.datasets.cls_label_file import derive_cls_labels, write_cls_label_file  # noqa: E402

VOC_NUM_CLASSES = 21


def read_image_list(path: str) -> List[str]:
    """Image ids of a VOC ``ImageSets`` list (first token of each non-empty line)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list {path} does not exist')
    with open(path, encoding='utf-8') as f:
        return [line.split()[0] for line in f if line.strip()]


def make_voc_cls_labels(data_root: str,
                        mask_dir: str = 'SegmentationClassAug',
                        lists: Optional[Sequence[str]] = None,
                        out_file: str = 'cls_labels.txt',
                        num_classes: int = VOC_NUM_CLASSES,
                        nproc: int = 1) -> Dict[str, List[int]]:
    """Write the class label file of VOC masks.

    Args:
        data_root (str): VOC2012 folder.
        mask_dir (str): Mask folder, relative to ``data_root`` (palette PNGs). Defaults to
            ``'SegmentationClassAug'``.
        lists (Sequence[str], optional): Image lists (relative to ``data_root``) whose images to
            cover; None covers every mask of ``mask_dir``. Defaults to None.
        out_file (str): Output file, relative to ``data_root`` unless absolute.
        num_classes (int): Classes including background. Defaults to 21.
        nproc (int): Worker processes. Defaults to 1.

    Returns:
        dict[str, list[int]]: Image id -> foreground class indices, as written.
    """
    ids = None
    if lists:
        ids = []
        for lst in lists:
            ids += read_image_list(osp.join(data_root, lst))
        ids = sorted(set(ids))
    labels = derive_cls_labels(osp.join(data_root, mask_dir), ids, num_classes, nproc=nproc)
    write_cls_label_file(osp.join(data_root, out_file), labels)
    return labels


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Derive the VOC image-level class label file from masks')
    parser.add_argument('data_root', help='VOC2012 folder (holds the mask folder)')
    parser.add_argument(
        '--mask-dir', default='SegmentationClassAug', help='mask folder, relative to data_root')
    parser.add_argument(
        '--lists',
        nargs='*',
        default=None,
        help='image lists (relative to data_root) to cover; default: every mask')
    parser.add_argument(
        '--out', default='cls_labels.txt', help='output file, relative to data_root')
    parser.add_argument(
        '--num-classes', type=int, default=VOC_NUM_CLASSES, help='classes incl. background')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    labels = make_voc_cls_labels(args.data_root, args.mask_dir, args.lists, args.out,
                                 args.num_classes, args.nproc)
    empty = [i for i, c in labels.items() if not c]
    print(f'wrote {len(labels)} images to {osp.join(args.data_root, args.out)}')
    if empty:
        print(
            f'warning: {len(empty)} images have no foreground class '
            f'(e.g. {empty[:3]}); the datasets '
            'refuse them unless skip_unlabeled=True',
            file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
