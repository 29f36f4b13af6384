# Copyright (c) mmwsss contributors. All rights reserved.
"""Choose the pseudo-label rule from a config dict.

Examples (what a config writes)::

    pseudo_label_cfg = dict(mode='saliency', score_thr=0.2, sal_thr=50,
                            conflict_thr=0.9, max_confident_channels=2)
    pseudo_label_cfg = dict(mode='threshold', bg_thr=0.25, ignore_margin=0.05)
    pseudo_label_cfg = dict(mode='saliency', crf=True)   # + dense CRF, official DRS settings
    pseudo_label_cfg = dict(mode='threshold', bg_thr=0.25, crf=dict(iterations=5))

Every key except ``mode`` and ``crf`` is passed on to :func:`fuse_with_saliency` or
:func:`fuse_with_threshold`; keys left out take their defaults (the DRS values in saliency mode).
``threshold`` mode has no default ``bg_thr``: it is the user's choice. ``crf`` (either mode, off by
default) takes the rule's arg-max after a dense CRF on the image (:mod:`.crf`): ``True`` for the
official DRS settings (10 iterations, Gaussian 3/1, bilateral 4/67/3) or a dict of
:class:`mmwsss.models.utils.DenseCRF` arguments; it needs the image and the pydensecrf2 extra.
"""

import inspect
from typing import Any, Optional, Sequence

import numpy as np

from .crf import build_label_crf
from .saliency_fusion import fuse_with_saliency
from .threshold_fusion import fuse_with_threshold

__all__ = ['generate_pseudo_label', 'PSEUDO_LABEL_MODES', 'uses_crf']

PSEUDO_LABEL_MODES = {
    'saliency': fuse_with_saliency,
    'threshold': fuse_with_threshold,
}
# Arguments that come with the image, not from the config (``crf`` comes built from ``cfg['crf']``).
_DATA_ARGS = ('maps', 'saliency', 'cls_labels', 'image', 'crf')


def uses_crf(cfg: Optional[dict]) -> bool:
    """Whether a pseudo-label config asks for a dense CRF (and so for the image)."""
    return isinstance(cfg, dict) and cfg.get('crf') not in (None, False)


def generate_pseudo_label(
    maps: Any,
    cfg: dict,
    saliency: Optional[Any] = None,
    cls_labels: Optional[Sequence[int]] = None,
    image: Optional[Any] = None,
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
        image (np.ndarray, optional): uint8 (H, W, 3) image at the maps' size;
            required when ``cfg`` has ``crf``, unused otherwise.

    Returns:
        np.ndarray: uint8 (H, W) labels, 0..K and the ignore index (255).
    """
    if not isinstance(cfg, dict) or 'mode' not in cfg:
        raise ValueError(
            'mmwsss/pseudo_labels/generate.py: the pseudo-label config must '
            "be a dict with a 'mode' key ('saliency' or 'threshold'), got "
            f'{cfg!r}.'
        )
    options = dict(cfg)
    mode = options.pop('mode')
    crf_cfg = options.pop('crf', None)
    if mode not in PSEUDO_LABEL_MODES:
        raise ValueError(
            f'mmwsss/pseudo_labels/generate.py: unknown mode {mode!r}; '
            f'choose one of {sorted(PSEUDO_LABEL_MODES)}.'
        )
    rule = PSEUDO_LABEL_MODES[mode]
    accepted = set(inspect.signature(rule).parameters) - set(_DATA_ARGS)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(
            f'mmwsss/pseudo_labels/generate.py: mode {mode!r} does not take '
            f'{unknown}; it takes {sorted(accepted | {"crf"})}.'
        )

    crf = build_label_crf(crf_cfg)
    if crf is not None:
        if image is None:
            raise ValueError(
                'mmwsss/pseudo_labels/generate.py: pseudo_label_cfg.crf needs the '
                "image (uint8 (H, W, 3) at the maps' size)."
            )
        options.update(image=image, crf=crf)
    if mode == 'saliency':
        if saliency is None:
            raise ValueError(
                'mmwsss/pseudo_labels/generate.py: mode "saliency" needs a '
                'saliency map; use mode "threshold" with a bg_thr for '
                'images without one.'
            )
        return fuse_with_saliency(maps, saliency, cls_labels=cls_labels, **options)
    if 'bg_thr' not in options:
        raise ValueError(
            'mmwsss/pseudo_labels/generate.py: mode "threshold" needs '
            "'bg_thr' (the constant background score) in the config."
        )
    return fuse_with_threshold(maps, cls_labels=cls_labels, **options)
