# Copyright (c) mmwsss contributors. All rights reserved.
"""Input checks and small array helpers shared by the pseudo-label rules."""

from typing import Any, Optional, Sequence

import numpy as np

__all__ = [
    'to_numpy',
    'check_maps',
    'check_saliency',
    'check_ignore_index',
    'mask_by_labels',
    'too_many_confident',
]


def to_numpy(array: Any, name: str) -> np.ndarray:
    """Return ``array`` as a numpy array (torch tensors are detached and moved
    to the CPU).

    Args:
        array (np.ndarray | torch.Tensor): The input.
        name (str): Its name, used in error messages.

    Returns:
        np.ndarray: The same values as a numpy array.
    """
    if isinstance(array, np.ndarray):
        return array
    # torch is optional here: the rules are plain numpy.
    if hasattr(array, 'detach') and hasattr(array, 'cpu'):
        return array.detach().cpu().numpy()
    raise TypeError(
        f'mmwsss/pseudo_labels: `{name}` must be a numpy array '
        f'or a torch tensor, got {type(array).__name__}.'
    )


def check_maps(maps: Any) -> np.ndarray:
    """Check localization maps and return them as float32 numpy.

    Args:
        maps (np.ndarray | torch.Tensor): (K, H, W) scores of the K foreground
            classes; channel ``k`` belongs to class ``k + 1``.

    Returns:
        np.ndarray: float32 (K, H, W), a copy (callers may modify it).
    """
    maps = to_numpy(maps, 'maps')
    if maps.ndim != 3:
        raise ValueError(
            f'mmwsss/pseudo_labels: `maps` must have shape (K, H, W), got shape {maps.shape}.'
        )
    if maps.shape[0] > 254:
        raise ValueError(
            'mmwsss/pseudo_labels: labels are stored as uint8 with 255 as '
            f'ignore, so at most 254 foreground classes fit; got '
            f'{maps.shape[0]}.'
        )
    if maps.dtype == np.uint8:
        raise TypeError(
            'mmwsss/pseudo_labels: `maps` are uint8; convert '
            'stored maps with `uint8_to_maps` first.'
        )
    maps = maps.astype(np.float32, copy=True)
    if not np.isfinite(maps).all():
        raise ValueError('mmwsss/pseudo_labels: `maps` contain NaN or inf.')
    return maps


def check_saliency(saliency: Any, shape: Sequence[int]) -> np.ndarray:
    """Check a saliency map and return it as a 2-D integer array.

    Args:
        saliency (np.ndarray | torch.Tensor): (H, W) or (1, H, W) integer
            saliency, 0-255 (as read from the PNG).
        shape (Sequence[int]): The expected (H, W).

    Returns:
        np.ndarray: (H, W) integer array.
    """
    saliency = to_numpy(saliency, 'saliency')
    if saliency.ndim == 3 and saliency.shape[0] == 1:
        saliency = saliency[0]
    if saliency.ndim != 2:
        raise ValueError(
            f'mmwsss/pseudo_labels: `saliency` must have shape (H, W), got shape {saliency.shape}.'
        )
    if tuple(saliency.shape) != tuple(shape):
        raise ValueError(
            f'mmwsss/pseudo_labels: `saliency` has size {saliency.shape} but '
            f'the maps have size {tuple(shape)}; resize one to the other '
            'first.'
        )
    if not np.issubdtype(saliency.dtype, np.integer):
        raise TypeError(
            'mmwsss/pseudo_labels: `saliency` must hold integer values 0-255 '
            f'(uint8, as read from the PNG), got dtype {saliency.dtype}.'
        )
    return saliency


def check_ignore_index(ignore_index: int, num_fg: int) -> None:
    """Check that ``ignore_index`` fits in uint8 and is no class label.

    Args:
        ignore_index (int): The label of ignored pixels.
        num_fg (int): Number of foreground classes K (labels are 0..K).
    """
    if not num_fg < ignore_index <= 255:
        raise ValueError(
            f'mmwsss/pseudo_labels: ignore_index={ignore_index} must fit in '
            f'uint8 and differ from the class labels 0..{num_fg}.'
        )


def mask_by_labels(maps: np.ndarray, cls_labels: Optional[Sequence[int]]) -> np.ndarray:
    """Zero the channels of classes that are not in the image-level labels.

    Args:
        maps (np.ndarray): float (K, H, W); channel ``k`` is class ``k + 1``.
            Modified in place.
        cls_labels (Sequence[int], optional): Foreground class indices of the
            image (1..K). None keeps every channel.

    Returns:
        np.ndarray: ``maps``.
    """
    if cls_labels is None:
        return maps
    num_fg = maps.shape[0]
    keep = np.zeros(num_fg, dtype=bool)
    for label in cls_labels:
        label = int(label)
        if not 1 <= label <= num_fg:
            raise ValueError(
                f'mmwsss/pseudo_labels: image label {label} is outside '
                f'1..{num_fg} (the maps have {num_fg} foreground channels; '
                'index 0 is the background and is never an image label).'
            )
        keep[label - 1] = True
    maps[~keep] = 0
    return maps


def too_many_confident(
    scores: np.ndarray, conflict_thr: float, max_confident_channels: int
) -> np.ndarray:
    """Pixels where more than ``max_confident_channels`` channels score above
    ``conflict_thr`` (strictly).

    Args:
        scores (np.ndarray): (K + 1, H, W) scores, background included.
        conflict_thr (float): The confidence threshold.
        max_confident_channels (int): How many confident channels are allowed.

    Returns:
        np.ndarray: bool (H, W).
    """
    confident = (scores > conflict_thr).sum(axis=0)
    return confident > max_confident_channels
