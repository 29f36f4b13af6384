# Copyright (c) mmwsss contributors. All rights reserved.
"""Helpers shared by the mmwsss metrics: reading data-sample fields and compact per-image counts."""

from typing import Any, List, Optional, Tuple

import numpy as np
import torch

__all__ = [
    'get_field',
    'get_pixel_data',
    'get_part_mask',
    'pack_counts',
    'unpack_counts',
    'nan_divide',
    'nan_mean',
    'class_names',
]


def get_field(data_sample: Any, key: str, metric: str) -> Any:
    """Read ``key`` from a data sample given as a dict (what the Evaluator
    passes) or as a ``BaseDataElement``.

    Args:
        data_sample (dict | BaseDataElement): One prediction.
        key (str): The field name.
        metric (str): The calling metric's name, for error messages.

    Returns:
        Any: The field's value.
    """
    if isinstance(data_sample, dict):
        found = key in data_sample
        value = data_sample.get(key)
    else:
        found = hasattr(data_sample, key)
        value = getattr(data_sample, key, None)
    if not found or value is None:
        raise KeyError(
            f'mmwsss/evaluation/metrics: {metric} needs the field `{key}` in '
            'every data sample, but it is missing (check the model predicts '
            'it and the test pipeline loads it).'
        )
    return value


def get_pixel_data(data_sample: Any, key: str, metric: str) -> torch.Tensor:
    """Read the tensor of a ``PixelData`` field (dict or element form).

    Args:
        data_sample (dict | BaseDataElement): One prediction.
        key (str): The PixelData field, e.g. ``'gt_sem_seg'``.
        metric (str): The calling metric's name, for error messages.

    Returns:
        torch.Tensor: The field's ``data`` tensor.
    """
    value = get_field(data_sample, key, metric)
    data = value['data'] if isinstance(value, dict) else value.data
    if not isinstance(data, torch.Tensor):
        data = torch.as_tensor(np.asarray(data))
    return data


def get_part_mask(data_sample: Any, gt: torch.Tensor, metric: str) -> Optional[torch.Tensor]:
    """The optional ``gt_part_seg`` of a data sample as an (H, W) long tensor, or None.

    A part mask holds the class index on an object's discriminative-part pixels and 0 elsewhere
    (the synthetic benchmark's ``PartMask/``); it splits each object into part and body (the
    object's other pixels), so a metric can report the recall of each.

    Args:
        data_sample (dict | BaseDataElement): One prediction.
        gt (torch.Tensor): Its (H, W) GT labels, for the size check.
        metric (str): The calling metric's name, for error messages.

    Returns:
        torch.Tensor | None: The part mask, on ``gt``'s device.
    """
    has = (
        ('gt_part_seg' in data_sample)
        if isinstance(data_sample, dict)
        else getattr(data_sample, 'gt_part_seg', None) is not None
    )
    if not has:
        return None
    part = get_pixel_data(data_sample, 'gt_part_seg', metric)
    if part.ndim == 3 and part.shape[0] == 1:
        part = part[0]
    if tuple(part.shape) != tuple(gt.shape):
        raise ValueError(
            f'mmwsss/evaluation/metrics: {metric}: gt_part_seg has size '
            f'{tuple(part.shape)} but gt_sem_seg {tuple(gt.shape)}.'
        )
    return part.to(gt.device).long()


def pack_counts(counts: np.ndarray) -> Tuple[int, np.ndarray, np.ndarray]:
    """Keep only the classes with a non-zero count.

    Per-image counts are mostly zero (an image shows few classes), so a
    metric stores ``(num_classes, class indices, their columns)`` instead of
    the full array; this keeps memory small over tens of thousands of images
    while every image keeps its own entry (which DDP padding removal needs).

    Args:
        counts (np.ndarray): int64 (..., C) counts.

    Returns:
        tuple: ``C``, int64 (k,) class indices, int64 (..., k) counts.
    """
    flat = counts.reshape(-1, counts.shape[-1])
    keep = np.flatnonzero(flat.any(axis=0))
    return counts.shape[-1], keep, counts[..., keep]


def unpack_counts(packed: List[Tuple[int, np.ndarray, np.ndarray]], num_classes: int) -> np.ndarray:
    """Sum packed per-image counts into one dense array.

    Args:
        packed (list[tuple]): Outputs of :func:`pack_counts`, all with the
            same leading shape.
        num_classes (int): C.

    Returns:
        np.ndarray: int64 (..., C) totals.
    """
    lead_shape = packed[0][2].shape[:-1]
    total = np.zeros(lead_shape + (num_classes,), dtype=np.int64)
    for _, index, values in packed:
        total[..., index] += values
    return total


def nan_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def nan_mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean over ``axis`` ignoring NaN; NaN where every entry is NaN."""
    values = np.asarray(values, dtype=np.float64)
    valid = ~np.isnan(values)
    count = valid.sum(axis=axis)
    total = np.where(valid, values, 0.0).sum(axis=axis)
    return nan_divide(total, count)


def class_names(dataset_meta: Optional[dict], num_classes: int) -> List[str]:
    """Class names from the dataset meta, or '0'..'C-1' without one."""
    classes = (dataset_meta or {}).get('classes')
    if classes is not None and len(classes) == num_classes:
        return [str(name) for name in classes]
    return [str(index) for index in range(num_classes)]
