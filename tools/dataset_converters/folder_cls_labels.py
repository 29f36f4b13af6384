#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Make an mmwsss dataset from a folder of images and a CSV of image-level labels.

Example::

    python tools/dataset_converters/folder_cls_labels.py data/pets/images data/pets/labels.csv \\
        --val-ratio 0.1

The CSV has a header and one row per image, in one of two forms:

- a list of classes: ``image,labels`` with the class names (or 1-based indices) of the image
  separated by ``;`` or spaces, e.g. ``cat_001.jpg,cat;person``;
- one-hot: ``image,<class 1>,<class 2>,...`` with 0/1 in each class column.

``image`` is a file name in the image folder, with or without its suffix (a path keeps only its
base name). The tool writes, under ``--data-root`` (default: the image folder's parent):

- ``cls_labels.txt``: ``<image id> <class index> ...`` (1..C-1; 0 is the background);
- ``meta.json``: ``classes`` (``background`` first, then the classes in ``--classes`` order, else in
  order of first appearance for lists or column order for one-hot), a ``palette``, ``img_suffix``;
- ``ImageSets/Segmentation/train.txt`` (and ``val.txt`` with ``--val-ratio``): the image ids,
  split at random with ``--seed``.

Every problem is reported with the CSV line: an image missing from the folder, a class not in
``--classes``, an image listed twice, a row without classes (``--skip-unlabelled`` leaves those
out), mixed image suffixes. ``docs/custom_dataset.md`` shows the config that reads the result.
"""

import argparse
import csv
import json
import os
import os.path as osp
import random
import sys
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmwsss.datasets.cls_label_file import write_cls_label_file
from mmwsss.datasets.palette import voc_colormap

_FILE = 'tools/dataset_converters/folder_cls_labels.py'
IMG_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
LIST_HEADERS = ('labels', 'label', 'classes', 'class', 'tags')


class ConversionError(ValueError):
    """A problem of the inputs, naming the file and line."""


def _split_names(cell: str) -> List[str]:
    return [t for t in cell.replace(';', ' ').replace('|', ' ').replace(',', ' ').split() if t]


def read_label_csv(path: str) -> Tuple[List[str], List[Tuple[int, str, List[str]]]]:
    """Read the CSV.

    Args:
        path (str): The CSV file.

    Returns:
        tuple: The class names found in the header (one-hot form) or [] (list form), and per row
        ``(line number, image name, class names or 1-based indices as strings)``.
    """
    if not osp.isfile(path):
        raise ConversionError(f'{_FILE}: label CSV {path} does not exist.')
    with open(path, newline='', encoding='utf-8-sig') as f:
        rows = list(csv.reader(f))
    rows = [(i, r) for i, r in enumerate(rows, 1) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ConversionError(f'{_FILE}: {path} needs a header and at least one row.')
    (_, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    one_hot = not (len(header) == 2 and header[1].lower() in LIST_HEADERS)
    if len(header) < 2:
        raise ConversionError(
            f'{_FILE}: {path}, line 1: the header needs an image column and '
            f'either a "labels" column or one column per class, got {header}.'
        )
    out = []
    for lineno, row in body:
        if one_hot and len(row) != len(header):
            raise ConversionError(
                f'{_FILE}: {path}, line {lineno}: {len(row)} columns, the header has {len(header)}.'
            )
        image = row[0].strip()
        if not image:
            raise ConversionError(f'{_FILE}: {path}, line {lineno}: no image name.')
        if one_hot:
            names = []
            for name, value in zip(header[1:], row[1:]):
                value = value.strip()
                if value not in ('0', '1', '', '0.0', '1.0'):
                    raise ConversionError(
                        f'{_FILE}: {path}, line {lineno}: column "{name}" is '
                        f'{value!r}; one-hot columns hold 0 or 1.'
                    )
                if value in ('1', '1.0'):
                    names.append(name)
        else:
            names = _split_names(','.join(row[1:]))
        out.append((lineno, image, names))
    return (header[1:] if one_hot else []), out


def _index_images(img_dir: str) -> Dict[str, List[str]]:
    """Image file names of the folder by stem (a stem may have several suffixes)."""
    if not osp.isdir(img_dir):
        raise ConversionError(f'{_FILE}: image folder {img_dir} does not exist.')
    index: Dict[str, List[str]] = {}
    for name in sorted(os.listdir(img_dir)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_SUFFIXES and not name.startswith('.'):
            index.setdefault(stem, []).append(name)
    if not index:
        raise ConversionError(f'{_FILE}: {img_dir} has no images ({", ".join(IMG_SUFFIXES)}).')
    return index


def make_folder_dataset(
    img_dir: str,
    csv_file: str,
    data_root: Optional[str] = None,
    classes: Optional[Sequence[str]] = None,
    val_ratio: float = 0.0,
    seed: int = 0,
    skip_unlabelled: bool = False,
) -> dict:
    """Write ``cls_labels.txt``, ``meta.json`` and the image lists (see the module docstring).

    Args:
        img_dir (str): The image folder.
        csv_file (str): The label CSV.
        data_root (str, optional): Where to write; default the parent of ``img_dir``.
        classes (Sequence[str], optional): Foreground class names in index order (1..C-1).
        val_ratio (float): Share of the images listed in ``val.txt`` instead of ``train.txt``.
        seed (int): Seed of the split.
        skip_unlabelled (bool): Leave out rows without classes instead of failing.

    Returns:
        dict: ``classes``, ``num_images``, ``train``, ``val`` (id lists), ``skipped`` and the
        written ``files``.
    """
    if not 0 <= val_ratio < 1:
        raise ConversionError(f'{_FILE}: --val-ratio must be in [0, 1), got {val_ratio}.')
    img_dir = osp.abspath(img_dir)
    data_root = osp.abspath(data_root or osp.dirname(img_dir))
    header_classes, rows = read_label_csv(csv_file)
    images = _index_images(img_dir)

    fixed = list(classes) if classes else list(header_classes)
    if 'background' in [c.lower() for c in fixed]:
        raise ConversionError(
            f'{_FILE}: "background" is class 0 and is added by the tool; leave '
            'it out of --classes and the CSV.'
        )
    if len(set(fixed)) != len(fixed):
        raise ConversionError(f'{_FILE}: repeated class names in {fixed}.')
    names: List[str] = list(fixed)
    labels: Dict[str, List[int]] = {}
    files: Dict[str, str] = {}
    first_line: Dict[str, int] = {}
    skipped = []
    for lineno, image, tokens in rows:
        where = f'{csv_file}, line {lineno}'
        base = osp.basename(image.replace('\\', '/'))
        stem, ext = osp.splitext(base)
        if ext.lower() not in IMG_SUFFIXES:
            stem, ext = base, ''
        found = images.get(stem, [])
        if ext:
            found = [n for n in found if n == base]
        if not found:
            raise ConversionError(f'{_FILE}: {where}: image "{image}" is not in {img_dir}.')
        if len(found) > 1:
            raise ConversionError(
                f'{_FILE}: {where}: "{image}" matches {found} in {img_dir}; '
                'name it with its suffix.'
            )
        if stem in first_line:
            raise ConversionError(
                f'{_FILE}: {where}: image "{stem}" is already listed on line {first_line[stem]}.'
            )
        first_line[stem] = lineno
        indices = set()
        for token in tokens:
            if token.lower() == 'background':
                raise ConversionError(
                    f'{_FILE}: {where}: "background" is not an image-level '
                    'label (class 0 is added by the tool).'
                )
            if token in names:
                indices.add(names.index(token) + 1)
            elif token.isdigit() and fixed and 1 <= int(token) <= len(fixed):
                indices.add(int(token))
            elif not fixed and not token.isdigit():
                names.append(token)
                indices.add(len(names))
            else:
                known = f'one of {fixed}' if fixed else 'a class name'
                raise ConversionError(
                    f'{_FILE}: {where}: unknown class "{token}" (expected {known}).'
                )
        if not indices:
            if skip_unlabelled:
                skipped.append(stem)
                continue
            raise ConversionError(
                f'{_FILE}: {where}: image "{image}" has no class; WSSS trains '
                'on images with at least one (or pass --skip-unlabelled).'
            )
        labels[stem] = sorted(indices)
        files[stem] = found[0]
    if not labels:
        raise ConversionError(f'{_FILE}: {csv_file} gives no labelled image.')
    suffixes = Counter(osp.splitext(n)[1] for n in files.values())
    if len(suffixes) > 1:
        raise ConversionError(
            f'{_FILE}: the images have several suffixes {dict(suffixes)}; '
            'mmwsss datasets read one (convert them, e.g. all to .jpg).'
        )
    unlisted = sorted(set(images) - set(labels) - set(skipped))

    ids = sorted(labels)
    val: List[str] = []
    if val_ratio > 0:
        shuffled = list(ids)
        random.Random(seed).shuffle(shuffled)
        val = sorted(shuffled[: max(1, int(round(len(ids) * val_ratio)))])
    train = [i for i in ids if i not in set(val)]
    if not train:
        raise ConversionError(f'{_FILE}: --val-ratio {val_ratio} leaves no training image.')

    classes_all = ['background'] + names
    os.makedirs(osp.join(data_root, 'ImageSets', 'Segmentation'), exist_ok=True)
    written = {}
    written['cls_labels'] = osp.join(data_root, 'cls_labels.txt')
    write_cls_label_file(written['cls_labels'], labels)
    meta = dict(
        classes=classes_all,
        palette=[list(c) for c in voc_colormap(len(classes_all))],
        img_suffix=next(iter(suffixes)),
        seg_map_suffix='.png',
        sal_suffix='.png',
        img_dir=osp.relpath(img_dir, data_root),
        source_csv=osp.relpath(osp.abspath(csv_file), data_root),
        generator=_FILE,
    )
    written['meta'] = osp.join(data_root, 'meta.json')
    with open(written['meta'], 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=1)
    for split, split_ids in (('train', train), ('val', val)):
        if split_ids:
            written[split] = osp.join(data_root, 'ImageSets', 'Segmentation', f'{split}.txt')
            with open(written[split], 'w', encoding='utf-8') as f:
                f.write(''.join(i + '\n' for i in split_ids))
    return dict(
        classes=classes_all,
        num_images=len(ids),
        train=train,
        val=val,
        skipped=skipped,
        unlisted=unlisted,
        files=written,
    )


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Make an mmwsss dataset (cls_labels.txt, meta.json, image lists) from a '
        'folder of images and a CSV of image-level labels.'
    )
    parser.add_argument('img_dir', help='folder of images')
    parser.add_argument(
        'csv',
        help='CSV: "image,labels" (names separated by ; or spaces) or '
        '"image,<class 1>,<class 2>,..." with 0/1',
    )
    parser.add_argument('--data-root', help='where to write (default: the parent of IMG_DIR)')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='foreground class names in index order (default: as they appear)',
    )
    parser.add_argument(
        '--val-ratio',
        type=float,
        default=0.0,
        help='share of images listed in val.txt (default 0: train.txt only)',
    )
    parser.add_argument('--seed', type=int, default=0, help='seed of the split (default 0)')
    parser.add_argument(
        '--skip-unlabelled',
        action='store_true',
        help='leave out rows without any class instead of failing',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        res = make_folder_dataset(
            args.img_dir,
            args.csv,
            args.data_root,
            args.classes,
            args.val_ratio,
            args.seed,
            args.skip_unlabelled,
        )
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(
        f'{res["num_images"]} images, {len(res["classes"]) - 1} classes '
        f'({", ".join(res["classes"][1:])}); train {len(res["train"])}, val {len(res["val"])}'
    )
    if res['skipped']:
        print(f'left out {len(res["skipped"])} rows without class, e.g. {res["skipped"][:3]}')
    if res['unlisted']:
        print(
            f'{len(res["unlisted"])} images of the folder are not in the CSV (left out), e.g. '
            f'{res["unlisted"][:3]}'
        )
    for path in res['files'].values():
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
