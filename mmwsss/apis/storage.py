# Copyright (c) mmwsss contributors. All rights reserved.
"""Files of pseudo-label generation: stored localization maps (npz) and pseudo labels (palette PNG).

Layout (see the shared contract): ``<maps_dir>/<img_id>.npz`` holds ``maps`` (uint8 (n, H, W), map x 255
at the original image size, for the n classes of the image's labels) and ``labels`` (int64 (n,), their
class indices 1..C-1); ``<labels_dir>/<img_id>.png`` is a mode 'P' PNG whose pixels are class indices
(0 background, 255 ignore).

Every file is written atomically: the bytes go to a hidden temporary file in the same folder, which then
replaces the target with ``os.replace``; a killed writer leaves at most that temporary file, which the
next writer of the same image overwrites. The npz files are written with fixed zip timestamps, so the
same maps always give the same bytes (``np.savez_compressed`` stamps the current time); ``np.load``
reads them as usual.
"""
import io
import os
import os.path as osp
import zipfile
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from mmwsss.datasets.palette import voc_colormap

__all__ = [
    'image_id', 'atomic_write_bytes', 'tmp_path_of', 'encode_maps_npz', 'save_maps', 'load_maps',
    'is_complete_npz', 'encode_label_png', 'save_label_png', 'load_label_png', 'is_complete_png',
    'full_palette'
]

_FILE = 'mmwsss/apis/storage.py'
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_IEND = b'\x00\x00\x00\x00IEND\xaeB`\x82'


def image_id(img_path: str) -> str:
    """The id files are named by: the basename of ``img_path`` without its suffix."""
    return osp.splitext(osp.basename(img_path))[0]


def tmp_path_of(path: str) -> str:
    """The temporary file ``path`` is written through (hidden, same folder)."""
    return osp.join(osp.dirname(path), '.' + osp.basename(path) + '.tmp')


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent, old, or complete.

    Args:
        path (str): The target file.
        data (bytes): Its full contents.
    """
    tmp = tmp_path_of(path)
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def encode_maps_npz(maps: np.ndarray, labels: Sequence[int]) -> bytes:
    """The bytes of a stored-maps file (a compressed npz with fixed timestamps).

    Args:
        maps (np.ndarray): uint8 (n, H, W).
        labels (Sequence[int]): The n class indices (1..C-1) of the channels.

    Returns:
        bytes: An npz archive with ``maps`` and ``labels`` (int64).
    """
    maps = np.ascontiguousarray(maps)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if maps.dtype != np.uint8 or maps.ndim != 3 or maps.shape[0] != labels.shape[0]:
        raise ValueError(f'{_FILE}: maps must be uint8 (n, H, W) with one label per channel, got '
                         f'{maps.dtype} {maps.shape} and {labels.shape[0]} labels.')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in (('maps', maps), ('labels', labels)):
            info = zipfile.ZipInfo(name + '.npy', date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, 'w', force_zip64=True) as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return buf.getvalue()


def save_maps(path: str, maps: np.ndarray, labels: Sequence[int]) -> None:
    """Atomically write stored maps (see :func:`encode_maps_npz`)."""
    atomic_write_bytes(path, encode_maps_npz(maps, labels))


def load_maps(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read stored maps.

    Args:
        path (str): A ``<img_id>.npz`` file.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``maps`` uint8 (n, H, W) and ``labels`` int64 (n,).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            maps, labels = data['maps'], data['labels']
    except FileNotFoundError:
        raise FileNotFoundError(f'{_FILE}: stored maps {path} do not exist') from None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f'{_FILE}: {path} is not a stored-maps file (npz with maps and labels): '
                         f'{e}') from e
    if maps.dtype != np.uint8 or maps.ndim != 3 or labels.shape != (maps.shape[0], ):
        raise ValueError(f'{_FILE}: {path} holds maps {maps.dtype} {maps.shape} and labels '
                         f'{labels.shape}; expected uint8 (n, H, W) and (n,).')
    return maps, labels.astype(np.int64)


def is_complete_npz(path: str) -> bool:
    """Whether ``path`` is a complete stored-maps archive (cheap: reads the zip directory only)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {'maps.npy', 'labels.npy'} <= set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def full_palette(palette: Optional[Sequence[Sequence[int]]]) -> list:
    """A 256-colour PNG palette: the dataset's colours first, VOC's colour map for the rest.

    Index 255 (ignore) keeps VOC's (224, 224, 192) unless the dataset palette has 256 colours.
    """
    colours = [list(c) for c in voc_colormap(256)]
    for i, colour in enumerate(list(palette or [])[:256]):
        colours[i] = [int(v) for v in colour]
    return [v for colour in colours for v in colour]


def encode_label_png(label: np.ndarray, palette: Sequence[int]) -> bytes:
    """The bytes of a palette PNG of a uint8 (H, W) label map.

    Args:
        label (np.ndarray): uint8 (H, W) class indices (255 ignore).
        palette (Sequence[int]): 768 values, as :func:`full_palette` gives.

    Returns:
        bytes: The PNG file.
    """
    if label.dtype != np.uint8 or label.ndim != 2:
        raise ValueError(f'{_FILE}: a pseudo label must be uint8 (H, W), got {label.dtype} '
                         f'{label.shape}.')
    img = Image.fromarray(np.ascontiguousarray(label))
    img.putpalette(list(palette))  # 'L' -> 'P', keeping the indices
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    return buf.getvalue()


def save_label_png(path: str, label: np.ndarray, palette: Sequence[int]) -> None:
    """Atomically write a pseudo-label PNG (see :func:`encode_label_png`)."""
    atomic_write_bytes(path, encode_label_png(label, palette))


def load_label_png(path: str) -> np.ndarray:
    """Read a label PNG as uint8 (H, W) class indices."""
    try:
        with Image.open(path) as img:
            if img.mode not in ('P', 'L'):
                raise ValueError(f'{_FILE}: label {path} has mode {img.mode}; expected a palette '
                                 "('P') or grayscale ('L') PNG of class indices.")
            return np.array(img, dtype=np.uint8)
    except FileNotFoundError:
        raise FileNotFoundError(f'{_FILE}: pseudo label {path} does not exist') from None


def is_complete_png(path: str) -> bool:
    """Whether ``path`` starts with the PNG signature and ends with the IEND chunk."""
    try:
        size = os.path.getsize(path)
        if size < len(_PNG_SIGNATURE) + len(_PNG_IEND):
            return False
        with open(path, 'rb') as f:
            head = f.read(len(_PNG_SIGNATURE))
            f.seek(size - len(_PNG_IEND))
            tail = f.read()
        return head == _PNG_SIGNATURE and tail == _PNG_IEND
    except OSError:
        return False
