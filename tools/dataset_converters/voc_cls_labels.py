#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Derive PASCAL VOC's image-level class label file from its masks, once.

Example::

    python tools/dataset_converters/voc_cls_labels.py data/VOCdevkit/VOC2012 \\
        --mask-dir SegmentationClassAug --out cls_labels.txt

writes ``data/VOCdevkit/VOC2012/cls_labels.txt``: ``<image id> <class index> ...`` per image, the
unique mask values except background 0 and ignore 255.

``--compare-to VOC2012_list/train_aug_cls.txt`` also compares the result with the official DRS
repository's list (``<image id> <class index 0..19> ...``, background left out) and prints how many
images differ, in which classes, and which images only one of the two lists has.
"""

import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

from mmwsss.datasets.cls_label_file import derive_cls_labels, write_cls_label_file
from mmwsss.datasets.voc import VOC_CLASSES as VOC_CLASS_NAMES

VOC_NUM_CLASSES = 21


def read_image_list(path: str) -> List[str]:
    """Image ids of a VOC ``ImageSets`` list (first token of each non-empty line)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list {path} does not exist')
    with open(path, encoding='utf-8') as f:
        return [line.split()[0] for line in f if line.strip()]


def make_voc_cls_labels(
    data_root: str,
    mask_dir: str = 'SegmentationClassAug',
    lists: Optional[Sequence[str]] = None,
    out_file: str = 'cls_labels.txt',
    num_classes: int = VOC_NUM_CLASSES,
    nproc: int = 1,
) -> Dict[str, List[int]]:
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


def read_official_list(path: str) -> Dict[str, List[int]]:
    """The official DRS class list (``<id> <class 0..19> ...``) with our indices (1..20)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'official class list {path} does not exist')
    labels: Dict[str, List[int]] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            tokens = line.split()
            if not tokens:
                continue
            try:
                classes = sorted({int(t) + 1 for t in tokens[1:]})
            except ValueError:
                raise ValueError(
                    f'{path}, line {lineno}: class indices must be integers, got {tokens[1:]}'
                ) from None
            if any(not 1 <= c < VOC_NUM_CLASSES for c in classes):
                raise ValueError(
                    f'{path}, line {lineno}: class indices outside 0..19: {tokens[1:]}'
                )
            labels[osp.splitext(osp.basename(tokens[0]))[0]] = classes
    return labels


def compare_labels(ours: Dict[str, List[int]], official: Dict[str, List[int]]) -> dict:
    """Where two image-level label lists disagree.

    Returns:
        dict: ``common`` (images in both), ``differ`` (id -> (only ours, only official) classes),
        ``only_ours`` / ``only_official`` (ids in one list only), ``added`` / ``missing`` (class ->
        images where only ours / only the official list has it).
    """
    common = sorted(set(ours) & set(official))
    differ, added, missing = {}, {}, {}
    for img_id in common:
        extra = sorted(set(ours[img_id]) - set(official[img_id]))
        lost = sorted(set(official[img_id]) - set(ours[img_id]))
        if extra or lost:
            differ[img_id] = (extra, lost)
        for c in extra:
            added[c] = added.get(c, 0) + 1
        for c in lost:
            missing[c] = missing.get(c, 0) + 1
    return dict(
        common=len(common),
        differ=differ,
        added=added,
        missing=missing,
        only_ours=sorted(set(ours) - set(official)),
        only_official=sorted(set(official) - set(ours)),
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Derive the VOC image-level class label file from masks'
    )
    parser.add_argument('data_root', help='VOC2012 folder (holds the mask folder)')
    parser.add_argument(
        '--mask-dir', default='SegmentationClassAug', help='mask folder, relative to data_root'
    )
    parser.add_argument(
        '--lists',
        nargs='*',
        default=None,
        help='image lists (relative to data_root) to cover; default: every mask',
    )
    parser.add_argument(
        '--out', default='cls_labels.txt', help='output file, relative to data_root'
    )
    parser.add_argument(
        '--num-classes', type=int, default=VOC_NUM_CLASSES, help='classes incl. background'
    )
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    parser.add_argument(
        '--compare-to',
        metavar='LIST',
        help="the official DRS repository's VOC2012_list/train_aug_cls.txt (or any list of "
        'that format): print where it and the derived labels disagree',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    labels = make_voc_cls_labels(
        args.data_root, args.mask_dir, args.lists, args.out, args.num_classes, args.nproc
    )
    empty = [i for i, c in labels.items() if not c]
    print(f'wrote {len(labels)} images to {osp.join(args.data_root, args.out)}')
    if empty:
        print(
            f'warning: {len(empty)} images have no foreground class '
            f'(e.g. {empty[:3]}); the datasets '
            'refuse them unless skip_unlabeled=True',
            file=sys.stderr,
        )
    if args.compare_to:
        diff = compare_labels(labels, read_official_list(args.compare_to))
        print(
            f'compared with {args.compare_to}: {diff["common"]} images in both lists, '
            f'{len(diff["differ"])} with other classes; {len(diff["only_ours"])} only here, '
            f'{len(diff["only_official"])} only there'
        )
        names = {c: f'{c} ({n})' for c, n in enumerate(VOC_CLASS_NAMES)}
        for what, counts in (('only here', diff['added']), ('only there', diff['missing'])):
            if counts:
                print(
                    f'  classes {what}: '
                    + ', '.join(f'{names[c]}: {n}' for c, n in sorted(counts.items()))
                )
        for img_id, (extra, lost) in list(diff['differ'].items())[:20]:
            print(f'  {img_id}: only here {extra}, only there {lost}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
