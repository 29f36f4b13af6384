# Copyright (c) mmwsss contributors. All rights reserved.
"""Colour jitter (brightness, contrast, saturation, hue) as in torchvision, for MMSeg pipelines."""

from typing import Dict

import cv2
import mmcv
import numpy as np
from mmpretrain.datasets.transforms import ColorJitter as _MMPretrainColorJitter

from mmwsss.registry import TRANSFORMS

__all__ = ['ColorJitter', 'shift_hue']


def shift_hue(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """Rotate the hue of a BGR uint8 image by ``hue_factor`` of a full turn.

    Args:
        img (np.ndarray): BGR image, uint8 (H, W, 3).
        hue_factor (float): In [-0.5, 0.5].

    Returns:
        np.ndarray: uint8 (H, W, 3).
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor must be in [-0.5, 0.5], got {hue_factor}')
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    shift = int(round(hue_factor * 255))
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + shift) % 256).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)


# Subclasses mmpretrain's ColorJitter (its parameter sampling and random order) only to replace the
# hue step: mmcv 2.1.0's adjust_hue adds np.uint8(negative) and raises OverflowError under numpy 2.
@TRANSFORMS.register_module()
class ColorJitter(_MMPretrainColorJitter):
    """Randomly change brightness, contrast, saturation and hue of ``results['img']``.

    Same arguments as mmpretrain's ``ColorJitter`` (the DRS recipe: ``brightness=0.3, contrast=0.3,
    saturation=0.3, hue=0.1``); masks, saliency and maps are left untouched.
    """

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        order, brightness, contrast, saturation, hue = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(img, brightness, backend=self.backend)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast, backend=self.backend)
            elif index == 2 and saturation is not None:
                img = mmcv.adjust_color(img, alpha=saturation, backend=self.backend)
            elif index == 3 and hue is not None:
                img = shift_hue(img, hue)
        results['img'] = img
        return results
