# Copyright (c) mmwsss contributors. All rights reserved.
"""DRS pseudo labels: localization maps + a saliency map -> label map.

The rule, as the official DRS code applies it (``scripts/pseudo_seg_label_gen.py``, with the
saliency map binarised in ``utils/LoadData.py``), for every pixel:

1. object cue: a class score below ``score_thr`` (0.2) is set to 0;
2. background cue: the saliency map is binarised (``saliency > sal_thr``, 50 on the 0-255 scale)
   and the background score is ``1 - binary saliency``, so it is exactly 1 off the salient region
   and 0 on it;
3. label = arg-max over [background, class 1, ..., class K] (ties go to the lower index, so to the
   background first);
4. ignore where more than ``max_confident_channels`` (2) channels, background included, score above
   ``conflict_thr`` (0.9): these pixels are claimed confidently by several classes;
5. ignore salient pixels whose label is background: saliency says "object" but no class claims them.

The official script applies no CRF. With ``crf`` (ours, off by default) step 3 takes the arg-max of
the dense-CRF posterior of the step-3 scores instead (:mod:`mmwsss.pseudo_labels.crf`); steps 4
and 5 are unchanged.
"""

from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._validation import (
    check_ignore_index,
    check_maps,
    check_saliency,
    mask_by_labels,
    too_many_confident,
)
from .crf import crf_argmax

__all__ = ['fuse_with_saliency']


def fuse_with_saliency(
    maps: Any,
    saliency: Any,
    cls_labels: Optional[Sequence[int]] = None,
    score_thr: float = 0.2,
    sal_thr: int = 50,
    conflict_thr: float = 0.9,
    max_confident_channels: int = 2,
    ignore_index: int = 255,
    image: Optional[Any] = None,
    crf: Optional[Callable] = None,
) -> np.ndarray:
    """Fuse localization maps with a saliency map into a pseudo label.

    Args:
        maps (np.ndarray | torch.Tensor): float (K, H, W) localization maps of
            the K foreground classes, channel ``k`` = class ``k + 1``; normally
            in [0, 1] and already zero for classes absent from the image
            (refined maps are regression outputs and may leave [0, 1]: they are
            used as they are, as in the official code).
        saliency (np.ndarray | torch.Tensor): integer (H, W) or (1, H, W)
            saliency map, 0-255.
        cls_labels (Sequence[int], optional): The image's foreground class
            indices (1..K). When given, channels of other classes are zeroed
            first. Defaults to None (use the maps as they are).
        score_thr (float): Class scores strictly below it become 0.
            Defaults to 0.2.
        sal_thr (int): A pixel is salient where ``saliency > sal_thr``.
            Defaults to 50.
        conflict_thr (float): Confidence level of the conflict rule.
            Defaults to 0.9.
        max_confident_channels (int): A pixel is ignored when more channels
            than this (background included) score strictly above
            ``conflict_thr``. Defaults to 2.
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
    if crf is not None and image is None:
        raise ValueError('mmwsss/pseudo_labels: a CRF needs the image.')
    saliency = check_saliency(saliency, (height, width))
    check_ignore_index(ignore_index, num_fg)
    maps = mask_by_labels(maps, cls_labels)

    maps[maps < score_thr] = 0
    salient = saliency > sal_thr
    background = 1.0 - salient.astype(np.float32)
    scores = np.concatenate([background[None], maps], axis=0)

    if crf is None:
        labels = scores.argmax(axis=0).astype(np.uint8)
    else:
        labels = crf_argmax(scores, image, crf, cls_labels)
    conflict = too_many_confident(scores, conflict_thr, max_confident_channels)
    labels[conflict] = ignore_index
    labels[salient & (labels == 0)] = ignore_index
    return labels
