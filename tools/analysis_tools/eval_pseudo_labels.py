# Copyright (c) mmwsss contributors. All rights reserved.
"""Score a folder of localization maps or label PNGs against ground-truth masks.

    python tools/analysis_tools/eval_pseudo_labels.py GT_ROOT DIR [--dataset voc|coco]
        [--num-classes C] [--ids LIST] [--thresholds 0.1 0.2 ...] [--bg-threshold T] [--crf]
        [--saliency] [--sal-dir DIR] [--img-dir DIR] [--part-dir DIR] [--cls-labels FILE]
        [--allow-pickle] [--out-dir OUT]

``GT_ROOT`` is a folder of GT label PNGs (``<id>.png``: 0 background, 1..C-1 classes, 255 ignore) or
a dataset root holding one as ``SegmentationClassAug/`` or ``SegmentationClass/`` (VOC, the
synthetic benchmark). ``DIR`` holds one file per image, named by the image id, in one of these
layouts:

- ``<id>.npz``: mmwsss's stored maps (``maps`` uint8 (n, H, W) = map x 255 for the image's n
  classes, ``labels`` their class indices 1..C-1), as ``PseudoLabelHook`` and
  ``tools/gen_pseudo_labels.py`` write them;
- ``<id>.npy`` holding a dict (IRN's ``make_cam``): ``high_res`` float (n, H, W) maps and ``keys``
  their foreground indices counted from 0 (class ``key + 1``);
- ``<id>.npy`` holding a dict ``{foreground index from 0: (H, W) map}`` (PSA, SEAM and their
  descendants);
- ``<id>.npy`` holding a float array (C - 1, H, W) (channel k = class k + 1) or (C, H, W)
  (channel 0, a background score, is dropped); masked by the image-level labels when a class-label
  file is found;
- ``<id>.png``: label maps (class indices, 255 = unlabelled), e.g. pseudo labels.

Maps must be at the GT size. The two dict layouts are pickles: they are read only with
``--allow-pickle`` (a pickle can run code; use it on folders you trust).

For maps it reports the background-threshold sweep (``CAMThresholdSweepMetric``: mIoU at every
threshold, the best, precision / recall there, part / body recall with part masks), then turns the
maps into labels at ``--bg-threshold`` (default: the best threshold) or, with ``--saliency``, by the
DRS saliency rule (``pseudo_label_cfg=dict(mode='saliency')``, its defaults; the saliency maps of
``--sal-dir``, default ``GT_ROOT/SaliencyMap``), optionally through the dense CRF (``--crf``, the
official DRS settings, as ``pseudo_label_cfg.crf=True``; needs the images and pydensecrf2), and
scores those labels with ``PseudoLabelMetric`` (mIoU over labelled pixels and strict, precision /
recall with unlabelled pixels counted, ignore ratio, per class). For label PNGs only the second
part. It writes ``metrics.json`` and ``confusion_matrix.png`` (rows: GT classes, normalised to
100 %; columns: predicted classes and "unlabelled") to ``--out-dir``.
"""

import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

_FILE = 'tools/analysis_tools/eval_pseudo_labels.py'
FORMATS = ('npz', 'npy', 'png')
GT_SUBDIRS = ('SegmentationClassAug', 'SegmentationClass')
IMG_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')
IGNORE = 255


class InputError(ValueError):
    """Bad input: the message names the file and the problem."""


# --------------------------------------------------------------------------- inputs
def find_gt_dir(gt_root: str) -> str:
    """The folder of GT PNGs: ``gt_root`` itself or its ``SegmentationClass(Aug)``."""
    if not osp.isdir(gt_root):
        raise InputError(f'{_FILE}: GT_ROOT {gt_root} is not a folder.')
    for sub in GT_SUBDIRS:
        if osp.isdir(osp.join(gt_root, sub)):
            return osp.join(gt_root, sub)
    if any(name.endswith('.png') for name in os.listdir(gt_root)):
        return gt_root
    raise InputError(
        f'{_FILE}: GT_ROOT {gt_root} has no GT masks: neither <id>.png files nor a '
        f'{" or ".join(GT_SUBDIRS)} folder.'
    )


def read_classes(gt_root: str, dataset: Optional[str], num_classes: Optional[int]) -> List[str]:
    """Class names (background first), from ``--dataset``, ``--num-classes`` or a meta.json."""
    if dataset is not None:
        if dataset == 'voc':
            from mmwsss.datasets.voc import VOC_CLASSES as classes
        else:
            from mmwsss.datasets.coco import COCO_CLASSES as classes
        if num_classes is not None and num_classes != len(classes):
            raise InputError(
                f'{_FILE}: --dataset {dataset} has {len(classes)} classes, '
                f'--num-classes says {num_classes}.'
            )
        return list(classes)
    if num_classes is not None:
        if num_classes < 2:
            raise InputError(f'{_FILE}: --num-classes must be >= 2 (background + one class).')
        return ['background'] + [str(i) for i in range(1, num_classes)]
    for folder in (gt_root, osp.dirname(osp.abspath(gt_root))):
        meta = osp.join(folder, 'meta.json')
        if osp.isfile(meta):
            try:
                with open(meta, encoding='utf-8') as f:
                    classes = json.load(f).get('classes')
            except (json.JSONDecodeError, AttributeError) as e:
                raise InputError(f'{_FILE}: {meta} is not a JSON object: {e}') from None
            if not isinstance(classes, list) or len(classes) < 2:
                raise InputError(f'{_FILE}: {meta} has no "classes" list.')
            return [str(c) for c in classes]
    raise InputError(
        f'{_FILE}: cannot tell the classes of {gt_root}: no meta.json; pass '
        '--dataset voc|coco or --num-classes C (background included).'
    )


def list_predictions(pred_dir: str, ids_file: Optional[str] = None) -> Tuple[str, Dict[str, str]]:
    """The format of ``pred_dir`` and its files by image id (optionally only those of a list)."""
    if not osp.isdir(pred_dir):
        raise InputError(f'{_FILE}: DIR {pred_dir} is not a folder.')
    by_format: Dict[str, Dict[str, str]] = {fmt: {} for fmt in FORMATS}
    for name in sorted(os.listdir(pred_dir)):
        stem, ext = osp.splitext(name)
        if ext[1:] in by_format and not name.startswith('.'):
            by_format[ext[1:]][stem] = osp.join(pred_dir, name)
    found = [fmt for fmt in FORMATS if by_format[fmt]]
    if not found:
        raise InputError(f'{_FILE}: DIR {pred_dir} has no .npz, .npy or .png files.')
    if len(found) > 1:
        raise InputError(
            f'{_FILE}: DIR {pred_dir} mixes {", ".join(found)} files; keep one layout per folder.'
        )
    fmt = found[0]
    files = by_format[fmt]
    if ids_file is not None:
        if not osp.isfile(ids_file):
            raise InputError(f'{_FILE}: --ids {ids_file} does not exist.')
        with open(ids_file, encoding='utf-8') as f:
            ids = [line.split()[0] for line in f if line.strip() and not line.startswith('#')]
        missing = [i for i in ids if i not in files]
        if missing:
            raise InputError(
                f'{_FILE}: DIR {pred_dir} has no {fmt} file for {len(missing)} '
                f'image(s) of {ids_file}, e.g. {missing[:3]}.'
            )
        files = {i: files[i] for i in ids}
    return fmt, files


def read_cls_labels(path: Optional[str], num_classes: int) -> Optional[Dict[str, List[int]]]:
    """Image-level labels (mmwsss's ``<id> <class index> ...`` file), or None without one."""
    if path is None:
        return None
    from mmwsss.datasets.cls_label_file import read_cls_label_file

    try:
        return read_cls_label_file(path, num_classes=num_classes)
    except (FileNotFoundError, ValueError) as e:
        raise InputError(f'{_FILE}: --cls-labels: {e}') from None


def _full(num_classes: int, size: Tuple[int, int]) -> np.ndarray:
    return np.zeros((num_classes,) + tuple(size), np.float32)


def _place(scores: np.ndarray, classes: Sequence[int], maps: np.ndarray, path: str) -> None:
    num_classes = scores.shape[0]
    for cls, plane in zip(classes, maps):
        cls = int(cls)
        if not 1 <= cls < num_classes:
            raise InputError(
                f'{_FILE}: {path} has a map of class {cls}, outside 1..{num_classes - 1}.'
            )
        scores[cls] = plane


def load_scores(
    path: str,
    fmt: str,
    num_classes: int,
    size: Tuple[int, int],
    allow_pickle: bool = False,
    cls_labels: Optional[Sequence[int]] = None,
) -> np.ndarray:
    """One image's maps as float32 (C, H, W): channel 0 zero, channel c the map of class c.

    Args:
        path (str): The file.
        fmt (str): 'npz' or 'npy'.
        num_classes (int): C, background included.
        size (tuple[int, int]): The GT (H, W); the maps must have it.
        allow_pickle (bool): Read dict ``.npy`` files (pickles).
        cls_labels (Sequence[int], optional): The image's classes; plain arrays are masked by them.

    Returns:
        np.ndarray: float32 (C, H, W).
    """
    if fmt == 'npz':
        from mmwsss.datasets.stage_files import load_maps

        try:
            maps, labels = load_maps(path)
        except ValueError as e:
            raise InputError(str(e)) from None
        _check_size(maps.shape[1:], size, path)
        scores = _full(num_classes, size)
        _place(scores, labels, maps.astype(np.float32) / 255.0, path)
        return scores
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as e:
        if 'allow_pickle' not in str(e):
            raise InputError(f'{_FILE}: {path} is not a .npy array: {e}') from None
        if not allow_pickle:
            raise InputError(
                f'{_FILE}: {path} holds a pickled object (an IRN/PSA-style dict); '
                'reading it runs pickle: pass --allow-pickle if you trust the '
                'folder.'
            ) from None
        data = np.load(path, allow_pickle=True)
    if data.dtype == object:
        obj = data.item() if data.shape == () else data
        if not isinstance(obj, dict):
            raise InputError(
                f'{_FILE}: {path} holds a pickled {type(obj).__name__}, not a dict of maps.'
            )
        return _scores_from_dict(obj, path, num_classes, size)
    if data.ndim != 3 or not np.issubdtype(data.dtype, np.floating):
        raise InputError(
            f'{_FILE}: {path} holds a {data.dtype} array of shape {data.shape}; '
            f'expected float maps (C - 1, H, W) or (C, H, W) with C = {num_classes}.'
        )
    _check_size(data.shape[1:], size, path)
    if data.shape[0] == num_classes - 1:
        fg = data
    elif data.shape[0] == num_classes:
        fg = data[1:]
    else:
        raise InputError(
            f'{_FILE}: {path} has {data.shape[0]} channels; expected '
            f'{num_classes - 1} (foreground) or {num_classes} (background first).'
        )
    scores = _full(num_classes, size)
    scores[1:] = fg
    if cls_labels is not None:
        keep = np.zeros(num_classes, bool)
        keep[list(cls_labels)] = True
        scores[~keep] = 0
    return scores


def _scores_from_dict(obj: dict, path: str, num_classes: int, size: Tuple[int, int]) -> np.ndarray:
    scores = _full(num_classes, size)
    if 'high_res' in obj:  # IRN: keys counted from 0 over the foreground classes
        if 'keys' not in obj:
            raise InputError(f'{_FILE}: {path} has "high_res" but no "keys".')
        maps = np.asarray(obj['high_res'], dtype=np.float32)
        keys = np.asarray(obj['keys']).reshape(-1).astype(np.int64)
        if maps.ndim != 3 or maps.shape[0] != keys.shape[0]:
            raise InputError(
                f'{_FILE}: {path}: high_res {maps.shape} does not match {keys.shape[0]} keys.'
            )
        _check_size(maps.shape[1:], size, path)
        _place(scores, keys + 1, maps, path)
        return scores
    if obj and all(isinstance(k, (int, np.integer)) for k in obj):  # PSA: {fg index: map}
        for key, plane in obj.items():
            plane = np.asarray(plane, dtype=np.float32)
            if plane.ndim != 2:
                raise InputError(
                    f'{_FILE}: {path}: the map of key {key} has shape '
                    f'{plane.shape}; expected (H, W).'
                )
            _check_size(plane.shape, size, path)
            _place(scores, [int(key) + 1], plane[None], path)
        return scores
    raise InputError(
        f"{_FILE}: {path} holds a dict with keys {list(obj)[:4]}; supported: IRN's "
        '{"keys", "high_res", ...} and PSA\'s {foreground index: map}.'
    )


def _check_size(got: Sequence[int], size: Tuple[int, int], path: str) -> None:
    if tuple(got) != tuple(size):
        raise InputError(
            f'{_FILE}: {path} is {got[1]}x{got[0]} (WxH) but its GT mask is '
            f'{size[1]}x{size[0]}; maps must be at the GT size.'
        )


def load_png(path: str, what: str) -> np.ndarray:
    """A label PNG (class indices) as uint8 (H, W)."""
    from mmwsss.datasets.stage_files import load_label_png

    try:
        return load_label_png(path)
    except FileNotFoundError:
        raise InputError(f'{_FILE}: {what} {path} does not exist.') from None
    except (ValueError, OSError) as e:
        raise InputError(f'{_FILE}: {what} {path} cannot be read: {e}') from None


def find_image(img_dir: str, img_id: str) -> str:
    for suffix in IMG_SUFFIXES:
        path = osp.join(img_dir, img_id + suffix)
        if osp.isfile(path):
            return path
    raise InputError(
        f'{_FILE}: --crf needs the image of {img_id}, but {img_dir} has no '
        f'{img_id}{{{",".join(IMG_SUFFIXES)}}}.'
    )


# --------------------------------------------------------------------------- scoring
def labels_from_scores(
    scores: np.ndarray, bg_threshold: float, image: Optional[np.ndarray] = None, crf=None
) -> np.ndarray:
    """Label map of the threshold rule (the best class where it scores above the threshold), the
    pseudo-label rule of ``pseudo_label_cfg=dict(mode='threshold', bg_thr=..., crf=...)``: with
    ``crf`` the arg-max of the dense-CRF posterior of [threshold, maps of the image's classes]."""
    from mmwsss.pseudo_labels import fuse_with_threshold

    return fuse_with_threshold(scores[1:], bg_threshold, image=image, crf=crf)


def labels_from_saliency(
    scores: np.ndarray, saliency: np.ndarray, image: Optional[np.ndarray] = None, crf=None
) -> np.ndarray:
    """Label map of the DRS saliency rule with its defaults (``pseudo_label_cfg=dict(
    mode='saliency', crf=...)``); the image's classes are those with a map above 0."""
    from mmwsss.pseudo_labels import fuse_with_saliency

    present = [c for c in range(1, scores.shape[0]) if scores[c].max() > 0]
    return fuse_with_saliency(scores[1:], saliency, cls_labels=present, image=image, crf=crf)


def load_saliency(sal_dir: str, img_id: str, size: Tuple[int, int]) -> np.ndarray:
    """The saliency map ``<sal_dir>/<img_id>.png`` as mmwsss's LoadSaliencyMap reads it."""
    from mmwsss.datasets.transforms import LoadSaliencyMap

    path = osp.join(sal_dir, img_id + '.png')
    if not osp.isfile(path):
        raise InputError(
            f'{_FILE}: --saliency needs the saliency map of {img_id}: {path} does not exist.'
        )
    saliency = LoadSaliencyMap().transform(dict(sal_path=path, img_path=path, seg_fields=[]))[
        'gt_saliency'
    ]
    if saliency.shape != tuple(size):
        raise InputError(
            f'{_FILE}: saliency map {path} is {saliency.shape[1]}x{saliency.shape[0]} '
            f'(WxH) but its GT mask is {size[1]}x{size[0]}.'
        )
    return saliency


def confusion_counts(pred: np.ndarray, gt: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C + 1) pixel counts: rows GT classes, columns predicted classes + unlabelled."""
    valid = gt != IGNORE
    p = pred[valid].astype(np.int64)
    p[p == IGNORE] = num_classes
    if p.size and p.max() > num_classes:
        raise InputError(f'{_FILE}: labels outside 0..{num_classes - 1} and {IGNORE}.')
    g = gt[valid].astype(np.int64)
    return np.bincount(
        g * (num_classes + 1) + p, minlength=num_classes * (num_classes + 1)
    ).reshape(num_classes, num_classes + 1)


def plot_confusion(counts: np.ndarray, classes: Sequence[str], path: str, title: str) -> None:
    """Save the row-normalised confusion matrix as a PNG."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = counts.sum(axis=1, keepdims=True)
    pct = np.divide(counts * 100.0, rows, out=np.zeros(counts.shape), where=rows > 0)
    num = len(classes)
    side = max(4.0, 0.45 * (num + 1) + 2)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    im = ax.imshow(pct, cmap='Blues', vmin=0, vmax=100)
    ax.set_xticks(range(num + 1), list(classes) + ['unlabelled'], rotation=90)
    ax.set_yticks(range(num), list(classes))
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    if num <= 30:
        for i in range(num):
            for j in range(num + 1):
                if counts[i, j]:
                    ax.text(
                        j,
                        i,
                        f'{pct[i, j]:.0f}',
                        ha='center',
                        va='center',
                        fontsize=7,
                        color='white' if pct[i, j] > 50 else 'black',
                    )
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label='% of the GT class')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _tensor(array: np.ndarray):
    import torch

    return dict(data=torch.from_numpy(np.ascontiguousarray(array)))


def evaluate(
    gt_root: str,
    pred_dir: str,
    dataset: Optional[str] = None,
    num_classes: Optional[int] = None,
    ids_file: Optional[str] = None,
    thresholds: Optional[Sequence[float]] = None,
    bg_threshold: Optional[float] = None,
    crf: bool = False,
    saliency: bool = False,
    sal_dir: Optional[str] = None,
    img_dir: Optional[str] = None,
    part_dir: Optional[str] = None,
    cls_label_file: Optional[str] = None,
    allow_pickle: bool = False,
    out_dir: Optional[str] = None,
) -> dict:
    """Score ``pred_dir`` against the GT of ``gt_root`` (see the module docstring).

    Returns:
        dict: ``format``, ``num_images``, ``sweep`` (maps only: CAMThresholdSweepMetric's keys),
        ``bg_threshold`` (maps only), ``labels`` (PseudoLabelMetric's keys), ``crf``, ``rule``
        ('threshold', 'saliency' or 'labels') and the written files.
    """
    from mmwsss.evaluation.metrics import CAMThresholdSweepMetric, PseudoLabelMetric

    gt_dir = find_gt_dir(gt_root)
    classes = read_classes(gt_root, dataset, num_classes)
    num = len(classes)
    fmt, files = list_predictions(pred_dir, ids_file)
    if crf and fmt == 'png':
        raise InputError(f'{_FILE}: --crf needs maps (scores); DIR {pred_dir} holds label PNGs.')
    if saliency and fmt == 'png':
        raise InputError(
            f'{_FILE}: --saliency needs maps (scores); DIR {pred_dir} holds label PNGs.'
        )
    if saliency:
        sal_dir = sal_dir or osp.join(gt_root, 'SaliencyMap')
        if not osp.isdir(sal_dir):
            raise InputError(
                f'{_FILE}: --saliency needs the saliency maps: {sal_dir} is not a '
                'folder (give --sal-dir).'
            )
    if part_dir is None and osp.isdir(osp.join(gt_root, 'PartMask')):
        part_dir = osp.join(gt_root, 'PartMask')
    if cls_label_file is None and fmt == 'npy' and osp.isfile(osp.join(gt_root, 'cls_labels.txt')):
        cls_label_file = osp.join(gt_root, 'cls_labels.txt')
    cls_labels = read_cls_labels(cls_label_file, num)
    dense_crf = None
    if crf:
        from mmwsss.pseudo_labels import build_label_crf

        try:
            dense_crf = build_label_crf(True)  # the official DRS settings
        except ImportError as e:
            raise InputError(f'{_FILE}: --crf: {e}') from None
        img_dir = img_dir or osp.join(gt_root, 'JPEGImages')
        if not osp.isdir(img_dir):
            raise InputError(
                f'{_FILE}: --crf needs the images: {img_dir} is not a folder (give --img-dir).'
            )
    meta = dict(classes=tuple(classes))

    def gt_of(img_id: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        gt = load_png(osp.join(gt_dir, img_id + '.png'), 'GT mask')
        part = None
        if part_dir is not None:
            part = load_png(osp.join(part_dir, img_id + '.png'), 'part mask')
            if part.shape != gt.shape:
                raise InputError(
                    f'{_FILE}: part mask of {img_id} is {part.shape}, its GT {gt.shape}.'
                )
        return gt, part

    def scores_of(img_id: str, size: Tuple[int, int]) -> np.ndarray:
        labels = None
        if cls_labels is not None:
            if img_id not in cls_labels:
                raise InputError(f'{_FILE}: image {img_id} is not in {cls_label_file}.')
            labels = cls_labels[img_id]
        return load_scores(files[img_id], fmt, num, size, allow_pickle, labels)

    def sample(gt: np.ndarray, part: Optional[np.ndarray], **fields) -> dict:
        out = dict(gt_sem_seg=_tensor(gt[None].astype(np.int64)), **fields)
        if part is not None:
            out['gt_part_seg'] = _tensor(part.astype(np.int64))
        return out

    result = dict(format=fmt, num_images=len(files), gt_dir=gt_dir, classes=classes)
    if fmt != 'png':
        sweep = CAMThresholdSweepMetric(thresholds=thresholds, num_classes=num)
        sweep.dataset_meta = meta
        for img_id in files:
            gt, part = gt_of(img_id)
            scores = scores_of(img_id, gt.shape)
            sweep.process({}, [sample(gt, part, seg_logits=_tensor(scores))])
        result['sweep'] = sweep.compute_metrics(sweep.results)
        if bg_threshold is None:
            bg_threshold = float(result['sweep']['best_threshold'])
        result['bg_threshold'] = bg_threshold
    label_metric = PseudoLabelMetric(num_classes=num)
    label_metric.dataset_meta = meta
    confusion = np.zeros((num, num + 1), np.int64)
    for img_id in files:
        gt, part = gt_of(img_id)
        if fmt == 'png':
            pred = load_png(files[img_id], 'label map')
            if pred.shape != gt.shape:
                raise InputError(
                    f'{_FILE}: {files[img_id]} is {pred.shape[1]}x{pred.shape[0]} '
                    f'(WxH) but its GT mask is {gt.shape[1]}x{gt.shape[0]}.'
                )
        else:
            scores = scores_of(img_id, gt.shape)
            if dense_crf is not None:
                import mmcv

                image = mmcv.imread(find_image(img_dir, img_id), channel_order='rgb')
                if image.shape[:2] != gt.shape:
                    raise InputError(
                        f'{_FILE}: image of {img_id} is {image.shape[:2]}, its GT {gt.shape}.'
                    )
            else:
                image = None
            if saliency:
                pred = labels_from_saliency(
                    scores, load_saliency(sal_dir, img_id, gt.shape), image, dense_crf
                )
            else:
                pred = labels_from_scores(scores, bg_threshold, image, dense_crf)
        bad = (pred != IGNORE) & (pred >= num)
        if bad.any():
            raise InputError(
                f'{_FILE}: {files[img_id]} has label {int(pred[bad][0])}, outside '
                f'0..{num - 1} and {IGNORE}.'
            )
        confusion += confusion_counts(pred, gt, num)
        label_metric.process(
            {}, [sample(gt, part, pred_sem_seg=_tensor(pred[None].astype(np.int64)))]
        )
    result['labels'] = label_metric.compute_metrics(label_metric.results)
    result['crf'] = bool(crf)
    result['rule'] = 'labels' if fmt == 'png' else ('saliency' if saliency else 'threshold')
    result['confusion'] = confusion.tolist()
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        what = (
            'label maps'
            if fmt == 'png'
            else ('maps + saliency' if saliency else f'maps at threshold {bg_threshold:.2f}')
            + (' + CRF' if crf else '')
        )
        picture = osp.join(out_dir, 'confusion_matrix.png')
        plot_confusion(
            confusion, classes, picture, f'{osp.basename(osp.normpath(pred_dir))}: {what}'
        )
        result['confusion_matrix_png'] = picture
        with open(osp.join(out_dir, 'metrics.json'), 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=1)
        result['metrics_json'] = osp.join(out_dir, 'metrics.json')
    return result


# --------------------------------------------------------------------------- command line
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score a folder of localization maps (npz / npy: mmwsss, IRN, PSA, arrays) '
        'or label PNGs against GT masks: threshold sweep, precision/recall with unlabelled '
        'pixels counted, per class, optional dense CRF, and a confusion-matrix picture.'
    )
    parser.add_argument(
        'gt_root',
        help='folder of GT PNGs, or a dataset root with '
        'SegmentationClassAug/ or SegmentationClass/',
    )
    parser.add_argument('pred_dir', help='folder of <id>.npz / <id>.npy maps or <id>.png labels')
    parser.add_argument(
        '--dataset',
        choices=['voc', 'coco'],
        help='class names of VOC / COCO (default: GT_ROOT/meta.json)',
    )
    parser.add_argument('--num-classes', type=int, help='C, background included')
    parser.add_argument(
        '--ids', help='image list (first token of each line); default: every file of DIR'
    )
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        help='background thresholds of the sweep (default 0.00 .. 0.95)',
    )
    parser.add_argument(
        '--bg-threshold',
        type=float,
        help='threshold that turns maps into labels (default: the best one of the sweep)',
    )
    parser.add_argument(
        '--crf',
        action='store_true',
        help='labels through the dense CRF (official DRS settings; pydensecrf2)',
    )
    parser.add_argument(
        '--saliency',
        action='store_true',
        help="labels by the DRS saliency rule (pseudo_label_cfg mode 'saliency') "
        'instead of the background threshold',
    )
    parser.add_argument(
        '--sal-dir', help='saliency maps for --saliency (default GT_ROOT/SaliencyMap)'
    )
    parser.add_argument('--img-dir', help='images for --crf (default GT_ROOT/JPEGImages)')
    parser.add_argument(
        '--part-dir', help='part masks for part/body recall (default GT_ROOT/PartMask if it exists)'
    )
    parser.add_argument(
        '--cls-labels',
        help='image-level label file masking plain .npy arrays '
        '(default GT_ROOT/cls_labels.txt if it exists)',
    )
    parser.add_argument(
        '--allow-pickle',
        action='store_true',
        help='read dict .npy files (IRN / PSA layouts), which are pickles',
    )
    parser.add_argument(
        '--out-dir',
        help='where metrics.json and confusion_matrix.png go '
        '(default work_dirs/eval_pseudo_labels/<basename of DIR>)',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join(
        'work_dirs', 'eval_pseudo_labels', osp.basename(osp.normpath(args.pred_dir))
    )
    try:
        result = evaluate(
            args.gt_root,
            args.pred_dir,
            dataset=args.dataset,
            num_classes=args.num_classes,
            ids_file=args.ids,
            thresholds=args.thresholds,
            bg_threshold=args.bg_threshold,
            crf=args.crf,
            saliency=args.saliency,
            sal_dir=args.sal_dir,
            img_dir=args.img_dir,
            part_dir=args.part_dir,
            cls_label_file=args.cls_labels,
            allow_pickle=args.allow_pickle,
            out_dir=out_dir,
        )
    except InputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    lines = [f'{result["num_images"]} images ({result["format"]}) of {args.pred_dir}']
    if 'sweep' in result:
        s = result['sweep']
        lines.append(
            f'maps: best mIoU {s["best_mIoU"]:.2f} at threshold '
            f'{s["best_threshold"]:.2f} (precision {s["best_mPrecision"]:.2f}, recall '
            f'{s["best_mRecall"]:.2f})'
        )
    lab = result['labels']
    source = (
        'labels'
        if result['format'] == 'png'
        else (
            'labels by the saliency rule'
            if result['rule'] == 'saliency'
            else f'labels at {result["bg_threshold"]:.2f}'
        )
        + (' + CRF' if result['crf'] else '')
    )
    lines.append(
        f'{source}: mIoU {lab["mIoU"]:.2f} (strict {lab["mIoU_strict"]:.2f}), precision '
        f'{lab["mPrecision"]:.2f}, recall {lab["mRecall"]:.2f}, unlabelled '
        f'{lab["ignore_ratio"]:.2f} %'
    )
    lines.append(f'wrote {result["metrics_json"]} and {result["confusion_matrix_png"]}')
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
