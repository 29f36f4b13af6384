# Copyright (c) mmwsss contributors. All rights reserved.
"""Dense CRF inside a pseudo-label rule: the arg-max over [background, classes] taken after a CRF.

Every rule builds per-pixel scores over [background, class 1, ..., class K] and labels a pixel with
their arg-max. With a CRF (``pseudo_label_cfg.crf``), the scores of the channels that may win (the
background and the image's classes) are clipped at 0, raised by :data:`PROB_EPS` and divided by
their sum, so each pixel holds probabilities; the fully connected CRF of
:class:`mmwsss.models.utils.DenseCRF` (by default the official DRS settings: 10 mean-field
iterations, Gaussian kernel sxy 1 / weight 3, bilateral kernel sxy 67 / srgb 3 / weight 4) refines
them with the image, and the label is the arg-max of the posterior. The rule's ignore rules then
apply to the original scores, as without a CRF.

The official DRS code runs this CRF on the segmentation network's outputs (its DeepLab test
scripts), not on pseudo labels; using it on pseudo labels is ours.
"""

from typing import Any, Callable, Optional, Sequence

import numpy as np

__all__ = ['PROB_EPS', 'build_label_crf', 'crf_argmax']

_FILE = 'mmwsss/pseudo_labels/crf.py'
#: Added to every clipped score before normalising (a pixel where all scores are 0 is uniform).
PROB_EPS = 1e-5


def build_label_crf(crf_cfg: Any) -> Optional[Callable]:
    """The CRF a ``pseudo_label_cfg['crf']`` entry asks for.

    Args:
        crf_cfg (bool | dict | None): ``None`` or ``False``: no CRF; ``True``: the official DRS
            settings; a dict: arguments of :class:`mmwsss.models.utils.DenseCRF` (``iterations``,
            ``pos_xy_std``, ``pos_w``, ``bi_xy_std``, ``bi_rgb_std``, ``bi_w``), the others at the
            official values.

    Returns:
        DenseCRF | None: The CRF, or None.

    Raises:
        ImportError: pydensecrf (the ``pydensecrf2`` extra) is not installed; the message says
            how to install it.
    """
    if crf_cfg is None or crf_cfg is False:
        return None
    if crf_cfg is True:
        options = {}
    elif isinstance(crf_cfg, dict):
        options = dict(crf_cfg)
    else:
        raise TypeError(
            f'{_FILE}: pseudo_label_cfg.crf must be True, False, None or a dict of '
            f'DenseCRF arguments, got {crf_cfg!r}.'
        )
    # imported here: the rules stay plain numpy unless a CRF is asked for
    from mmwsss.models.utils.dense_crf import DenseCRF

    try:
        return DenseCRF(**options)
    except ImportError as e:
        raise ImportError(
            f'{_FILE}: pseudo_label_cfg.crf needs the dense-CRF extra pydensecrf2 (import name '
            '`pydensecrf`), which is not installed: run `pip install -r '
            'requirements/optional.txt` (pydensecrf2==1.1, built with gcc), or set up the '
            'environment with tools/setup_env.sh without MMWSSS_EXTRAS=0; or remove `crf` from '
            f'pseudo_label_cfg. ({e})'
        ) from e
    except TypeError as e:
        raise TypeError(f'{_FILE}: pseudo_label_cfg.crf={crf_cfg!r}: {e}') from e


def crf_argmax(
    scores: np.ndarray, image: Any, crf: Callable, channels: Optional[Sequence[int]] = None
) -> np.ndarray:
    """Arg-max of the CRF posterior of a rule's score stack.

    Args:
        scores (np.ndarray): float (C, H, W) scores, channel 0 the background, channel ``c`` class
            ``c``.
        image (np.ndarray): uint8 (H, W, 3) image at the size of the scores (colour order does not
            matter: the bilateral kernel uses colour distances).
        crf (Callable): ``crf(image, probs (n, H, W)) -> posterior (n, H, W)``, e.g. a
            :class:`mmwsss.models.utils.DenseCRF`.
        channels (Sequence[int], optional): The channels that may win besides the background
            (class indices 1..C-1). Defaults to those with a positive score somewhere.

    Returns:
        np.ndarray: uint8 (H, W) channel indices (0 = background).
    """
    scores = np.asarray(scores, dtype=np.float32)
    image = np.asarray(image)
    if scores.ndim != 3:
        raise ValueError(f'{_FILE}: scores must be (C, H, W), got shape {scores.shape}.')
    if image.shape[:2] != scores.shape[1:]:
        raise ValueError(
            f'{_FILE}: the image is {image.shape[1::-1]} (W, H) but the maps are '
            f"{scores.shape[:0:-1]} (W, H); the CRF needs the image at the maps' "
            'size.'
        )
    if channels is None:
        channels = [c for c in range(1, scores.shape[0]) if scores[c].max() > 0]
    channels = sorted({int(c) for c in channels} - {0})
    if any(not 1 <= c < scores.shape[0] for c in channels):
        raise ValueError(f'{_FILE}: channels {channels} outside 1..{scores.shape[0] - 1}.')
    if not channels:  # only the background can win
        return np.zeros(scores.shape[1:], np.uint8)
    keep = [0] + channels
    stack = np.maximum(scores[keep], 0) + np.float32(PROB_EPS)
    probs = stack / stack.sum(axis=0, keepdims=True)
    posterior = np.asarray(crf(image, probs))
    return np.asarray(keep, np.uint8)[posterior.argmax(axis=0)]
