# Copyright (c) mmwsss contributors. All rights reserved.
"""Pseudo-label rules: localization maps (+ saliency) -> label maps, as pure numpy functions.

Layout everywhere: ``maps`` is float (K, H, W) with channel ``k`` = foreground class ``k + 1`` (the
segmentors' ``seg_logits[1:]``); labels are uint8 (H, W) with 0 = background, 1..K = classes and
255 = ignore.
"""

from .crf import build_label_crf, crf_argmax
from .generate import PSEUDO_LABEL_MODES, generate_pseudo_label, uses_crf
from .saliency_fusion import fuse_with_saliency
from .threshold_fusion import fuse_with_threshold

__all__ = [
    'fuse_with_saliency',
    'fuse_with_threshold',
    'generate_pseudo_label',
    'PSEUDO_LABEL_MODES',
    'build_label_crf',
    'crf_argmax',
    'uses_crf',
]
