# Copyright (c) mmwsss contributors. All rights reserved.
"""Saliency maps, loaded so MMSeg's geometric transforms treat them like a mask."""

from typing import Optional

from mmwsss.registry import TRANSFORMS
from .pixel_map import LoadPixelMap


@TRANSFORMS.register_module()
class LoadSaliencyMap(LoadPixelMap):
    """Load a grayscale saliency PNG (0-255) as ``gt_saliency``.

    A :class:`LoadPixelMap` (an MMCV ``BaseTransform``). Place it right after ``LoadImageFromFile``
    (before any resize, flip or crop): it appends ``'gt_saliency'`` to ``seg_fields``, so MMSeg's
    ``Resize``/``RandomResize`` (nearest interpolation), ``RandomFlip`` and ``RandomCrop`` transform
    it exactly like the mask.

    Required keys: ``sal_path``; ``img`` (optional, for the size check) and ``seg_fields``. Added
    keys: ``gt_saliency`` (np.uint8 (H, W)); ``seg_fields`` gains ``'gt_saliency'``.

    Args:
        imdecode_backend (str): ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        backend_args (dict, optional): File backend arguments. Defaults to None.
    """

    path_key, field, what = 'sal_path', 'gt_saliency', 'saliency map'
    flag, not_2d = 'grayscale', 'cannot be decoded as a grayscale image'

    def __init__(self, imdecode_backend: str = 'cv2', backend_args: Optional[dict] = None) -> None:
        super().__init__(imdecode_backend, backend_args)
