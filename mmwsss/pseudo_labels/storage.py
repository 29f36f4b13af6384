# Copyright (c) mmwsss contributors. All rights reserved.
"""Localization maps <-> uint8 storage (value x 255).

The official DRS code stores maps as ``np.uint8(maps * 255)``, which truncates. Here the default
rounds to the nearest step (error at most 0.5/255 instead of just under 1/255, and unbiased);
``rounding='floor'`` reproduces the official bytes exactly. Values are clipped to [0, 1] first.
"""
from typing import Any

import numpy as np

from ._validation import to_numpy

__all__ = ['maps_to_uint8', 'uint8_to_maps']


def maps_to_uint8(maps: Any, rounding: str = 'round') -> np.ndarray:
    """Quantise float maps in [0, 1] to uint8 0-255.

    Args:
        maps (np.ndarray | torch.Tensor): float array of any shape, usually
            (K, H, W). Values outside [0, 1] are clipped.
        rounding (str): 'round' (nearest, default) or 'floor' (truncation, as
            the official code).

    Returns:
        np.ndarray: uint8 array of the same shape.
    """
    maps = to_numpy(maps, 'maps')
    if not np.issubdtype(maps.dtype, np.floating):
        raise TypeError('mmwsss/pseudo_labels/storage.py: maps_to_uint8 '
                        f'expects float maps in [0, 1], got {maps.dtype}.')
    if np.isnan(maps).any():
        raise ValueError(
            'mmwsss/pseudo_labels/storage.py: maps contain NaN.')
    scaled = np.clip(maps.astype(np.float64), 0.0, 1.0) * 255.0
    if rounding == 'round':
        scaled = np.rint(scaled)
    elif rounding == 'floor':
        scaled = np.floor(scaled)
    else:
        raise ValueError('mmwsss/pseudo_labels/storage.py: rounding must be '
                         f"'round' or 'floor', got {rounding!r}.")
    return scaled.astype(np.uint8)


def uint8_to_maps(stored: Any, dtype: Any = np.float32) -> np.ndarray:
    """Turn stored uint8 maps back into floats in [0, 1] (value / 255).

    Args:
        stored (np.ndarray | torch.Tensor): uint8 array of any shape.
        dtype: Output float dtype. Defaults to np.float32.

    Returns:
        np.ndarray: float array of the same shape.
    """
    stored = to_numpy(stored, 'stored')
    if stored.dtype != np.uint8:
        raise TypeError('mmwsss/pseudo_labels/storage.py: uint8_to_maps '
                        f'expects uint8 input, got {stored.dtype}.')
    return stored.astype(dtype) / np.asarray(255.0, dtype=dtype)
