# Copyright (c) mmwsss contributors. All rights reserved.
"""Choose the pseudo-label rule from a config dict.

Examples (what a config writes)::

    pseudo_label_cfg = dict(mode='saliency', score_thr=0.2, sal_thr=50,
                            conflict_thr=0.9, max_confident_channels=2)
    pseudo_label_cfg = dict(mode='threshold', bg_thr=0.25, ignore_margin=0.05)

Every key except ``mode`` is passed on to :func:`fuse_with_saliency` or :func:`fuse_with_threshold`;
keys left out take their defaults (the DRS values in saliency mode). ``threshold`` mode has no default
``bg_thr``: it is the user's choice.
"""
import inspect
from typing import Any, Optional, Sequence

import numpy as np

from .saliency_fusion import fuse_with_saliency
from .threshold_fusion import fuse_with_threshold

__all__ = ['generate_pseudo_label', 'PSEUDO_LABEL_MODES']

PSEUDO_LABEL_MODES = {
    'saliency': fuse_with_saliency,
    'threshold': fuse_with_threshold,
}
# Arguments that come with the image, not from the config.
_DATA_ARGS = ('maps', 'saliency', 'cls_labels')


def generate_pseudo_label(maps: Any,
                          cfg: dict,
                          saliency: Optional[Any] = None,
                          cls_labels: Optional[Sequence[int]] = None
                          ) -> np.ndarray:
    """Make one pseudo label with the rule ``cfg['mode']`` selects.

    Args:
        maps (np.ndarray | torch.Tensor): float (K, H, W) localization maps,
            channel ``k`` = class ``k + 1``.
        cfg (dict): ``mode`` ('saliency' or 'threshold') and the rule's
            thresholds (see the module docstring).
        saliency (np.ndarray | torch.Tensor, optional): integer (H, W)
            saliency, 0-255; required in 'saliency' mode, unused otherwise.
        cls_labels (Sequence[int], optional): The image's foreground class
            indices (1..K); channels of other classes are zeroed.

    Returns:
        np.ndarray: uint8 (H, W) labels, 0..K and the ignore index (255).
    """
    if not isinstance(cfg, dict) or 'mode' not in cfg:
        raise ValueError(
            'mmwsss/pseudo_labels/generate.py: the pseudo-label config must '
            "be a dict with a 'mode' key ('saliency' or 'threshold'), got "
            f'{cfg!r}.')
    options = dict(cfg)
    mode = options.pop('mode')
    if mode not in PSEUDO_LABEL_MODES:
        raise ValueError(
            f'mmwsss/pseudo_labels/generate.py: unknown mode {mode!r}; '
            f'choose one of {sorted(PSEUDO_LABEL_MODES)}.')
    rule = PSEUDO_LABEL_MODES[mode]
    accepted = set(inspect.signature(rule).parameters) - set(_DATA_ARGS)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(
            f'mmwsss/pseudo_labels/generate.py: mode {mode!r} does not take '
            f'{unknown}; it takes {sorted(accepted)}.')

    if mode == 'saliency':
        if saliency is None:
            raise ValueError(
                'mmwsss/pseudo_labels/generate.py: mode "saliency" needs a '
                'saliency map; use mode "threshold" with a bg_thr for '
                'images without one.')
        return fuse_with_saliency(
            maps, saliency, cls_labels=cls_labels, **options)
    if 'bg_thr' not in options:
        raise ValueError(
            'mmwsss/pseudo_labels/generate.py: mode "threshold" needs '
            "'bg_thr' (the constant background score) in the config.")
    return fuse_with_threshold(maps, cls_labels=cls_labels, **options)
