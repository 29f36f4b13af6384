# Copyright (c) mmwsss contributors. All rights reserved.
"""The image-level class label file: read, write and derive it from masks.

Format: one line per image, ``<image id> <class index> <class index> ...``. Indices are the
foreground class indices of the dataset (1..num_classes-1, the same values as in its masks);
background (0) is never listed. Blank lines and lines starting with ``#`` are skipped. The file is
derived once from the mask PNGs (``tools/dataset_converters/{voc,coco}_cls_labels.py``) so training
never reads a pixel annotation.
"""

import os
import os.path as osp
from multiprocessing import Pool
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
from PIL import Image

IGNORE_INDEX = 255


def read_cls_label_file(
    path: str, num_classes: Optional[int] = None, allow_empty: bool = True
) -> Dict[str, List[int]]:
    """Read an image-level class label file.

    Args:
        path (str): The label file.
        num_classes (int, optional): Number of classes of the dataset, background included. When
            given, every index must lie in 1..num_classes-1. Defaults to None (only ``>= 1`` is
            checked).
        allow_empty (bool): Whether a line may list an image without any class. Defaults to True
            (the dataset decides what to do with such images).

    Returns:
        dict[str, list[int]]: Image id -> sorted, de-duplicated foreground class indices.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A malformed line, an index out of range, a duplicated image id or (with
            ``allow_empty=False``) an image without labels; the message names the file and the line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class label file {path} does not exist')
    labels: Dict[str, List[int]] = {}
    first_line: Dict[str, int] = {}
    upper = None if num_classes is None else num_classes - 1
    with open(path, encoding='utf-8') as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            tokens = line.split()
            img_id = tokens[0]
            try:
                indices = [int(t) for t in tokens[1:]]
            except ValueError:
                raise ValueError(
                    f'{path}, line {lineno}: image "{img_id}" has a class index that is '
                    f'not an integer: "{line}"'
                ) from None
            for idx in indices:
                if idx < 1 or (upper is not None and idx > upper):
                    allowed = '1..' + (str(upper) if upper is not None else 'num_classes-1')
                    raise ValueError(
                        f'{path}, line {lineno}: image "{img_id}" has class index {idx} '
                        f'outside {allowed} (background 0 is never listed)'
                    )
            if not indices and not allow_empty:
                raise ValueError(f'{path}, line {lineno}: image "{img_id}" has no class labels')
            if img_id in labels:
                raise ValueError(
                    f'{path}, line {lineno}: image "{img_id}" is listed twice '
                    f'(first at line {first_line[img_id]})'
                )
            labels[img_id] = sorted(set(indices))
            first_line[img_id] = lineno
    return labels


def write_cls_label_file(path: str, labels: Dict[str, Iterable[int]]) -> None:
    """Write an image-level class label file, one line per image, sorted by image id.

    Args:
        path (str): Output file; its folder is created.
        labels (dict[str, Iterable[int]]): Image id -> foreground class indices.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for img_id in sorted(labels):
            indices = sorted(set(int(i) for i in labels[img_id]))
            f.write(' '.join([img_id] + [str(i) for i in indices]) + '\n')


def read_index_mask(path: str) -> np.ndarray:
    """Read a class-index mask PNG (palette or 8-bit grayscale) without any colour conversion.

    Args:
        path (str): The mask file.

    Returns:
        np.ndarray: uint8 array of shape (H, W) holding class indices.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file cannot be decoded or is not a single-channel index mask.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'mask {path} does not exist')
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            arr = np.array(img)
    except Exception as e:  # PIL raises several types for corrupt files
        raise ValueError(f'mask {path} cannot be read as an image: {e}') from e
    if mode not in ('P', 'L', 'I', 'I;16') or arr.ndim != 2:
        raise ValueError(
            f'mask {path} has image mode {mode} and shape {arr.shape}; expected a '
            'single-channel class-index PNG (palette or 8-bit grayscale), not a colour image'
        )
    if arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise ValueError(f'mask {path} has values outside 0..255')
        arr = arr.astype(np.uint8)
    return arr


def cls_labels_from_mask(path: str, num_classes: Optional[int] = None) -> List[int]:
    """Foreground class indices present in one mask: its unique values except 0 and 255.

    Args:
        path (str): The mask PNG.
        num_classes (int, optional): Number of classes, background included; values above
            num_classes-1 (other than 255) raise. Defaults to None (no check).

    Returns:
        list[int]: Sorted foreground class indices.
    """
    values = np.unique(read_index_mask(path))
    fg = [int(v) for v in values if v != 0 and v != IGNORE_INDEX]
    if num_classes is not None:
        bad = [v for v in fg if v > num_classes - 1]
        if bad:
            raise ValueError(
                f'mask {path} has values {bad} outside 0..{num_classes - 1} (and 255 '
                'for ignore); is num_classes right?'
            )
    return fg


def _labels_of(args: tuple) -> List[int]:
    path, num_classes = args
    return cls_labels_from_mask(path, num_classes)


def derive_cls_labels(
    mask_dir: str,
    image_ids: Optional[Sequence[str]] = None,
    num_classes: Optional[int] = None,
    mask_suffix: str = '.png',
    nproc: int = 1,
) -> Dict[str, List[int]]:
    """Image-level labels of many images from their masks (unique values except 0 and 255).

    Args:
        mask_dir (str): Folder of class-index mask PNGs.
        image_ids (Sequence[str], optional): Images to read; each must have ``<id><mask_suffix>``.
            Defaults to None (every mask of the folder).
        num_classes (int, optional): Number of classes incl. background, for a range check.
        mask_suffix (str): Mask file suffix. Defaults to ``'.png'``.
        nproc (int): Worker processes. Defaults to 1.

    Returns:
        dict[str, list[int]]: Image id -> foreground class indices (possibly empty).
    """
    if not osp.isdir(mask_dir):
        raise FileNotFoundError(f'mask folder {mask_dir} does not exist')
    if image_ids is None:
        image_ids = sorted(
            n[: -len(mask_suffix)] for n in os.listdir(mask_dir) if n.endswith(mask_suffix)
        )
        if not image_ids:
            raise FileNotFoundError(f'mask folder {mask_dir} has no *{mask_suffix} files')
    paths = [osp.join(mask_dir, i + mask_suffix) for i in image_ids]
    for img_id, path in zip(image_ids, paths):
        if not osp.isfile(path):
            raise FileNotFoundError(f'image "{img_id}" has no mask: {path} does not exist')
    jobs = [(p, num_classes) for p in paths]
    if nproc > 1:
        with Pool(nproc) as pool:
            results = pool.map(_labels_of, jobs, chunksize=64)
    else:
        results = [_labels_of(j) for j in jobs]
    return dict(zip(image_ids, results))
