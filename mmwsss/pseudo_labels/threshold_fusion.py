# Copyright (c) mmwsss contributors. All rights reserved.
"""Saliency-free pseudo labels: localization maps + a constant background score -> label map.

The classic CAM rule (the one WSSS papers use to score seeds): the background gets the constant
score ``bg_thr`` and every pixel takes the arg-max over [bg_thr, class 1, ..., class K], so a pixel
is foreground only where its best class scores strictly above ``bg_thr``.

Optional ignore rules (both off by default):

- an uncertainty band: pixels whose best class score lies strictly within ``ignore_margin`` of
  ``bg_thr`` (``|max_k maps[k] - bg_thr| < ignore_margin``) are ignored, whichever side won;
- the conflict rule of the saliency mode: with ``conflict_thr`` set, pixels where more than
  ``max_confident_channels`` channels (the constant background included) score above
  ``conflict_thr`` are ignored.

With ``crf`` the arg-max is taken over the dense-CRF posterior of the scores instead
(:mod:`mmwsss.pseudo_labels.crf`); the ignore rules apply as without it.
"""

from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._validation import check_ignore_index, check_maps, mask_by_labels, too_many_confident
from .crf import crf_argmax

__all__ = ['fuse_with_threshold']


def fuse_with_threshold(
    maps: Any,
    bg_thr: float,
    cls_labels: Optional[Sequence[int]] = None,
    ignore_margin: float = 0.0,
    conflict_thr: Optional[float] = None,
    max_confident_channels: int = 2,
    ignore_index: int = 255,
    image: Optional[Any] = None,
    crf: Optional[Callable] = None,
) -> np.ndarray:
    """Turn localization maps into a pseudo label with a background threshold.

    Args:
        maps (np.ndarray | torch.Tensor): float (K, H, W) localization maps of
            the K foreground classes, channel ``k`` = class ``k + 1``, normally
            in [0, 1].
        bg_thr (float): The constant background score.
        cls_labels (Sequence[int], optional): The image's foreground class
            indices (1..K). When given, channels of other classes are zeroed
            first. Defaults to None.
        ignore_margin (float): Half-width of the ignore band around
            ``bg_thr``; 0 disables it. Defaults to 0.
        conflict_thr (float, optional): Confidence level of the conflict rule;
            None disables it. Defaults to None.
        max_confident_channels (int): See ``conflict_thr``. Defaults to 2.
        ignore_index (int): Label of ignored pixels. Defaults to 255.
        image (np.ndarray, optional): uint8 (H, W, 3) image; needed with
            ``crf`` only.
        crf (Callable, optional): A dense CRF (``crf(image, probs)``, e.g.
            :class:`mmwsss.models.utils.DenseCRF`) whose posterior replaces
            the plain arg-max; the channels that may win are the background
            and ``cls_labels`` (or, without them, the classes scoring above
            0). Defaults to None.

    Returns:
        np.ndarray: uint8 (H, W) label map with values 0 (background), 1..K
        and ``ignore_index``.
    """
    maps = check_maps(maps)
    num_fg, height, width = maps.shape
    check_ignore_index(ignore_index, num_fg)
    if crf is not None and image is None:
        raise ValueError('mmwsss/pseudo_labels: a CRF needs the image.')
    if ignore_margin < 0:
        raise ValueError(f'mmwsss/pseudo_labels: ignore_margin must be >= 0, got {ignore_margin}.')
    maps = mask_by_labels(maps, cls_labels)

    background = np.full((1, height, width), bg_thr, dtype=np.float32)
    scores = np.concatenate([background, maps], axis=0)
    if crf is None:
        labels = scores.argmax(axis=0).astype(np.uint8)
    else:
        labels = crf_argmax(scores, image, crf, cls_labels)

    if ignore_margin > 0 and num_fg > 0:
        top = maps.max(axis=0)
        labels[np.abs(top - np.float32(bg_thr)) < ignore_margin] = ignore_index
    if conflict_thr is not None:
        conflict = too_many_confident(scores, conflict_thr, max_confident_channels)
        labels[conflict] = ignore_index
    return labels
