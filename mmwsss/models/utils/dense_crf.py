# Copyright (c) mmwsss contributors. All rights reserved.
"""Fully connected CRF (Krähenbühl & Koltun) on class probabilities, through
pydensecrf (the ``pydensecrf2`` distribution).

Defaults are the settings of the official DRS code (its DeepLab-V2 config and
DeepLabV3+ evaluation): 10 mean-field iterations, a Gaussian (appearance-free)
kernel with ``sxy = 1`` and weight 3, and a bilateral kernel with ``sxy = 67``,
``srgb = 3`` and weight 4.
"""

from types import ModuleType
from typing import Tuple

import numpy as np

_FILE = 'mmwsss/models/utils/dense_crf.py'

__all__ = ['DenseCRF', 'import_pydensecrf']


def import_pydensecrf() -> Tuple[ModuleType, ModuleType]:
    """Import pydensecrf, or fail saying how to install it.

    Returns:
        tuple: The ``pydensecrf.densecrf`` and ``pydensecrf.utils`` modules.

    Raises:
        ImportError: When pydensecrf is not installed.
    """
    try:
        import pydensecrf.densecrf as densecrf
        import pydensecrf.utils as crf_utils
    except ImportError as e:
        raise ImportError(
            f'{_FILE}: dense CRF post-processing needs pydensecrf (the '
            '"pydensecrf2" package), which is not installed: run '
            '`pip install -r requirements/optional.txt` (or '
            '`pip install pydensecrf2==1.1`); it builds with gcc.'
        ) from e
    return densecrf, crf_utils


class DenseCRF:
    """Dense CRF refinement of per-pixel class probabilities.

    Args:
        iterations (int): Mean-field iterations. Default: 10.
        pos_xy_std (float): Spatial std of the Gaussian kernel. Default: 1.
        pos_w (float): Weight (Potts compatibility) of the Gaussian kernel.
            Default: 3.
        bi_xy_std (float): Spatial std of the bilateral kernel. Default: 67.
        bi_rgb_std (float): Colour std of the bilateral kernel. Default: 3.
        bi_w (float): Weight of the bilateral kernel. Default: 4.
        prob_clip (float): Probabilities are clipped to ``[prob_clip, 1]``
            before the unary ``-log(p)``. Default: 1e-5 (pydensecrf's).
    """

    def __init__(
        self,
        iterations: int = 10,
        pos_xy_std: float = 1.0,
        pos_w: float = 3.0,
        bi_xy_std: float = 67.0,
        bi_rgb_std: float = 3.0,
        bi_w: float = 4.0,
        prob_clip: float = 1e-5,
    ) -> None:
        if not isinstance(iterations, int) or iterations < 1:
            raise ValueError(f'{_FILE}: iterations must be an int >= 1, got {iterations!r}.')
        for name, value in (
            ('pos_xy_std', pos_xy_std),
            ('bi_xy_std', bi_xy_std),
            ('bi_rgb_std', bi_rgb_std),
        ):
            if not value > 0:
                raise ValueError(f'{_FILE}: {name} must be > 0, got {value}.')
        for name, value in (('pos_w', pos_w), ('bi_w', bi_w)):
            if value < 0:
                raise ValueError(f'{_FILE}: {name} must be >= 0, got {value}.')
        if not 0 < prob_clip < 1:
            raise ValueError(f'{_FILE}: prob_clip must be in (0, 1), got {prob_clip}.')
        import_pydensecrf()  # fail at construction, not at the first image
        self.iterations = iterations
        self.pos_xy_std = float(pos_xy_std)
        self.pos_w = float(pos_w)
        self.bi_xy_std = float(bi_xy_std)
        self.bi_rgb_std = float(bi_rgb_std)
        self.bi_w = float(bi_w)
        self.prob_clip = float(prob_clip)

    def __call__(self, image: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Run the CRF.

        Args:
            image (np.ndarray): uint8 image, shape (H, W, 3) (the colour
                order does not matter: the kernel uses colour distances).
            probs (np.ndarray): Class probabilities, shape (C, H, W), C >= 1;
                each pixel should sum to 1.

        Returns:
            np.ndarray: float32 posterior probabilities, shape (C, H, W).
        """
        probs = np.asarray(probs)
        image = np.asarray(image)
        if probs.ndim != 3 or probs.shape[0] < 1:
            raise ValueError(
                f'{_FILE}: probs must be (C, H, W) with C >= 1, got shape {probs.shape}.'
            )
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'{_FILE}: image must be (H, W, 3), got shape {image.shape}.')
        if image.shape[:2] != probs.shape[1:]:
            raise ValueError(
                f'{_FILE}: image is {image.shape[1]}x{image.shape[0]} (WxH) '
                f'but probs are {probs.shape[2]}x{probs.shape[1]}.'
            )
        if image.dtype != np.uint8:
            raise TypeError(f'{_FILE}: image must be uint8, got {image.dtype}.')
        if not np.isfinite(probs).all():
            raise ValueError(f'{_FILE}: probs contain NaN or inf.')
        num_classes, height, width = probs.shape
        densecrf, crf_utils = import_pydensecrf()  # (modules do not pickle)
        unary = crf_utils.unary_from_softmax(probs.astype(np.float32), clip=self.prob_clip)
        crf = densecrf.DenseCRF2D(width, height, num_classes)
        crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
        crf.addPairwiseGaussian(sxy=self.pos_xy_std, compat=self.pos_w)
        crf.addPairwiseBilateral(
            sxy=self.bi_xy_std,
            srgb=self.bi_rgb_std,
            rgbim=np.ascontiguousarray(image),
            compat=self.bi_w,
        )
        q = crf.inference(self.iterations)
        return np.asarray(q, dtype=np.float32).reshape(num_classes, height, width)

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(iterations={self.iterations}, '
            f'pos_xy_std={self.pos_xy_std}, pos_w={self.pos_w}, '
            f'bi_xy_std={self.bi_xy_std}, bi_rgb_std={self.bi_rgb_std}, '
            f'bi_w={self.bi_w})'
        )
