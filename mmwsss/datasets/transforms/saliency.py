# Copyright (c) mmwsss contributors. All rights reserved.
"""Saliency maps, loaded so MMSeg's geometric transforms treat them like a mask."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSaliencyMap(BaseTransform):
    """Load a grayscale saliency PNG (0-255) as ``gt_saliency``.

    Subclasses MMCV's ``BaseTransform``. Place it right after ``LoadImageFromFile`` (before any
    resize, flip or crop): it appends ``'gt_saliency'`` to ``seg_fields``, so MMSeg's
    ``Resize``/``RandomResize`` (nearest interpolation), ``RandomFlip`` and ``RandomCrop`` transform
    it exactly like the mask.

    Required keys: ``sal_path``; ``img`` (optional, for the size check) and ``seg_fields``. Added
    keys: ``gt_saliency`` (np.uint8 (H, W)); ``seg_fields`` gains ``'gt_saliency'``.

    Args:
        imdecode_backend (str): ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        backend_args (dict, optional): File backend arguments. Defaults to None.
    """

    def __init__(self, imdecode_backend: str = 'cv2', backend_args: Optional[dict] = None) -> None:
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        """Read the saliency map.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``results`` with ``gt_saliency`` (np.uint8, (H, W)).
        """
        path = results.get('sal_path')
        if not path:
            where = results.get('img_path', results.get('img_id', '<unknown image>'))
            raise KeyError(f'LoadSaliencyMap: image {where} has no saliency map path; set the '
                           "dataset's data_prefix sal_path")
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'LoadSaliencyMap: saliency map {path} does not exist') from None
        try:
            sal = mmcv.imfrombytes(data, flag='grayscale', backend=self.imdecode_backend)
        except Exception as e:  # decoders raise various types on corrupt data
            raise ValueError(f'LoadSaliencyMap: saliency map {path} cannot be decoded: {e}') from e
        if sal is None or sal.ndim != 2:
            raise ValueError(
                f'LoadSaliencyMap: saliency map {path} cannot be decoded as a grayscale '
                'image')
        if 'img' in results:
            h, w = results['img'].shape[:2]
            if sal.shape != (h, w):
                raise ValueError(
                    f'LoadSaliencyMap: saliency map {path} is {sal.shape[1]}x{sal.shape[0]} '
                    f'(WxH) but its image {results.get("img_path")} is {w}x{h}')
        results['gt_saliency'] = np.ascontiguousarray(sal.astype(np.uint8))
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_saliency' not in seg_fields:
            seg_fields.append('gt_saliency')
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')
