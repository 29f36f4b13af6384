# Copyright (c) mmwsss contributors. All rights reserved.
"""The files between stages: stored localization maps, pseudo labels and their scores.

A map stage writes them (:class:`mmwsss.engine.PseudoLabelWriter`, driven by
:class:`mmwsss.engine.PseudoLabelLoop`) and later stages read them (``data_prefix.loc_map_path``
and :class:`LoadLocalizationMaps` in the refinement, ``data_prefix.seg_map_path`` of
:class:`PseudoLabelDataset` in the segmentation stage, the pipeline runner's named outputs
``{<stage>.maps_dir}`` / ``{<stage>.labels_dir}``, the tools). This module is the only place that
knows their layout, names, formats and checks. Under a stage's output folder (``out_dir``, by
default ``<work_dir>/pseudo_labels``)::

    maps/<img_id>.npz    ``maps``: uint8 (n, H, W) = round(map x 255) at the original image size,
                         for the n classes of the image's labels; ``labels``: int64 (n,), their
                         class indices 1..C-1
    labels/<img_id>.png  palette PNG of class indices (0 background, 255 ignore)
    metrics.json         the scores of both against the ground truth, and the settings

``img_id`` is the basename of the image path without its suffix.

Every file is written atomically: the bytes go to a hidden temporary file in the same folder, which
then replaces the target with ``os.replace``; a killed writer leaves at most that temporary file,
which the next writer of the same file overwrites. The npz files are written with fixed zip
timestamps, so the same maps always give the same bytes (``np.savez_compressed`` stamps the current
time); ``np.load`` reads them as usual.

The official DRS code stores maps as ``np.uint8(maps * 255)``, which truncates; here the default
rounds to the nearest step (error at most 0.5/255, unbiased); ``rounding='floor'`` reproduces the
official bytes. Values are clipped to [0, 1] first.
"""

import io
import json
import os
import os.path as osp
import zipfile
from typing import Any, Dict, Optional, Sequence, Tuple

import mmengine.fileio as fileio
import numpy as np
from PIL import Image

from mmwsss.pseudo_labels._validation import to_numpy
from .palette import voc_colormap

__all__ = [
    'OUT_DIR',
    'MAPS_DIR',
    'LABELS_DIR',
    'METRICS_FILE',
    'stage_outputs',
    'image_id',
    'map_path',
    'label_path',
    'tmp_path_of',
    'atomic_write_bytes',
    'atomic_write_json',
    'remove_tmp_files',
    'maps_to_uint8',
    'uint8_to_maps',
    'encode_maps_npz',
    'save_maps',
    'load_maps',
    'is_complete_npz',
    'full_palette',
    'encode_label_png',
    'save_label_png',
    'load_label_png',
    'is_complete_png',
]

_FILE = 'mmwsss/datasets/stage_files.py'
OUT_DIR = 'pseudo_labels'
MAPS_DIR = 'maps'
LABELS_DIR = 'labels'
METRICS_FILE = 'metrics.json'
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_IEND = b'\x00\x00\x00\x00IEND\xaeB`\x82'
_TMP_SUFFIXES = ('.npz.tmp', '.png.tmp')


# ------------------------------------------------------------------------------ layout and names
def stage_outputs(
    work_dir: str, out_dir: str = OUT_DIR, maps_dir: str = MAPS_DIR, labels_dir: str = LABELS_DIR
) -> Dict[str, str]:
    """The named outputs of a map stage, as absolute paths.

    Args:
        work_dir (str): The stage's work dir; a relative ``out_dir`` lies in it.
        out_dir (str): The output folder. Defaults to :data:`OUT_DIR`.
        maps_dir (str): The maps' folder, relative to ``out_dir`` or absolute.
        labels_dir (str): The labels' folder, likewise.

    Returns:
        dict[str, str]: ``out_dir``, ``maps_dir``, ``labels_dir`` and ``metrics`` (the scores file).
    """
    out_dir = osp.abspath(osp.join(work_dir, out_dir))  # join keeps an absolute out_dir
    return dict(
        out_dir=out_dir,
        maps_dir=osp.join(out_dir, maps_dir),
        labels_dir=osp.join(out_dir, labels_dir),
        metrics=osp.join(out_dir, METRICS_FILE),
    )


def image_id(img_path: str) -> str:
    """The id files are named by: the basename of ``img_path`` without its suffix."""
    return osp.splitext(osp.basename(img_path))[0]


def map_path(maps_dir: str, img_id: str) -> str:
    """The stored-maps file of an image."""
    return osp.join(maps_dir, img_id + '.npz')


def label_path(labels_dir: str, img_id: str) -> str:
    """The pseudo-label file of an image."""
    return osp.join(labels_dir, img_id + '.png')


# ------------------------------------------------------------------------------ atomic writes
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


def atomic_write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON (and a newline), atomically; makes the folder."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, default=str) + '\n'
    atomic_write_bytes(path, text.encode('utf-8'))


def remove_tmp_files(folder: str) -> None:
    """Delete the temporary map and label files a killed writer left in ``folder``."""
    for name in os.listdir(folder):
        if name.startswith('.') and name.endswith(_TMP_SUFFIXES):
            try:
                os.remove(osp.join(folder, name))
            except FileNotFoundError:
                pass


# ------------------------------------------------------------------------------ maps
def maps_to_uint8(maps: Any, rounding: str = 'round') -> np.ndarray:
    """Quantise float maps in [0, 1] to uint8 0-255 (values outside are clipped).

    Args:
        maps (np.ndarray | torch.Tensor): Float array of any shape, usually (K, H, W).
        rounding (str): 'round' (nearest, default) or 'floor' (truncation, as the official code).

    Returns:
        np.ndarray: uint8 array of the same shape.
    """
    maps = to_numpy(maps, 'maps')
    if not np.issubdtype(maps.dtype, np.floating):
        raise TypeError(f'{_FILE}: maps_to_uint8 expects float maps in [0, 1], got {maps.dtype}.')
    if np.isnan(maps).any():
        raise ValueError(f'{_FILE}: maps contain NaN.')
    scaled = np.clip(maps.astype(np.float64), 0.0, 1.0) * 255.0
    if rounding == 'round':
        scaled = np.rint(scaled)
    elif rounding == 'floor':
        scaled = np.floor(scaled)
    else:
        raise ValueError(f"{_FILE}: rounding must be 'round' or 'floor', got {rounding!r}.")
    return scaled.astype(np.uint8)


def uint8_to_maps(stored: Any, dtype: Any = np.float32) -> np.ndarray:
    """Turn stored uint8 maps back into floats in [0, 1] (value / 255).

    Args:
        stored (np.ndarray | torch.Tensor): uint8 array of any shape.
        dtype: Output float dtype. Defaults to np.float32.

    Returns:
        np.ndarray: Float array of the same shape.
    """
    stored = to_numpy(stored, 'stored')
    if stored.dtype != np.uint8:
        raise TypeError(f'{_FILE}: uint8_to_maps expects uint8 input, got {stored.dtype}.')
    return stored.astype(dtype) / np.asarray(255.0, dtype=dtype)


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
        raise ValueError(
            f'{_FILE}: maps must be uint8 (n, H, W) with one label per channel, got '
            f'{maps.dtype} {maps.shape} and {labels.shape[0]} labels.'
        )
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


def load_maps(
    path: str, num_classes: Optional[int] = None, backend_args: Optional[dict] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Read and check a stored-maps file.

    Args:
        path (str): A ``<img_id>.npz`` file (any MMEngine file backend).
        num_classes (int, optional): Classes with background; when given, the stored classes must
            lie in 1..num_classes-1.
        backend_args (dict, optional): MMEngine file backend arguments.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``maps`` uint8 (n, H, W) and ``labels`` int64 (n,), distinct.

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not a stored-maps file, or contents of the wrong types, shapes or classes.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(
            f'localization map file {path} does not exist; generate the maps first '
            '(PseudoLabelHook or tools/gen_pseudo_labels.py)'
        ) from None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            missing = {'maps', 'labels'} - set(npz.files)
            if missing:
                raise ValueError(f'it lacks the arrays {sorted(missing)} (has {sorted(npz.files)})')
            maps, labels = npz['maps'], npz['labels']
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f'localization map file {path} cannot be read: {e}') from e
    if maps.dtype != np.uint8 or maps.ndim != 3:
        raise ValueError(
            f'localization map file {path} must hold maps as uint8 (n, H, W), got '
            f'{maps.dtype} {maps.shape}'
        )
    if (
        labels.ndim != 1
        or not np.issubdtype(labels.dtype, np.integer)
        or labels.shape[0] != maps.shape[0]
    ):
        raise ValueError(
            f'localization map file {path} must hold labels as ints (n, ) matching '
            f'its {maps.shape[0]} maps, got {labels.dtype} {labels.shape}'
        )
    if (
        num_classes is not None
        and labels.size
        and (labels.min() < 1 or labels.max() > num_classes - 1)
    ):
        raise ValueError(
            f'localization map file {path} lists classes {labels.tolist()}, outside '
            f'1..{num_classes - 1}'
        )
    if len(set(labels.tolist())) != labels.size:
        raise ValueError(f'localization map file {path} lists a class twice: {labels.tolist()}')
    return maps, labels.astype(np.int64)


def is_complete_npz(path: str) -> bool:
    """Whether ``path`` is a complete stored-maps archive (cheap: reads the zip directory only)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {'maps.npy', 'labels.npy'} <= set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


# ------------------------------------------------------------------------------ labels
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
        raise ValueError(
            f'{_FILE}: a pseudo label must be uint8 (H, W), got {label.dtype} {label.shape}.'
        )
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
                raise ValueError(
                    f'label {path} has mode {img.mode}; expected a palette (P) or '
                    'grayscale (L) PNG of class indices.'
                )
            return np.array(img, dtype=np.uint8)
    except FileNotFoundError:
        raise FileNotFoundError(f'pseudo label {path} does not exist') from None


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
