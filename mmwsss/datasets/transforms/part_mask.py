# Copyright (c) mmwsss contributors. All rights reserved.
"""Discriminative-part masks, loaded for evaluation like a segmentation mask."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPartMask(BaseTransform):
    """Load a part mask (class index on discriminative-part pixels, 0 elsewhere) as ``gt_part_seg``.

    The synthetic benchmark writes one per image (``PartMask/``); with it the map metrics split each
    object's recall into part and body (the object's other pixels), which tells a sparse
    localization map from a complete one. Evaluation pipelines only: training never reads it.
    It appends ``'gt_part_seg'`` to ``seg_fields``, so MMSeg's geometric transforms move it with the
    mask.

    Required keys: ``part_path``; ``img`` (optional, for the size check). Added keys:
    ``gt_part_seg`` (np.uint8 (H, W)); ``seg_fields`` gains ``'gt_part_seg'``.

    Args:
        backend_args (dict, optional): File backend arguments. Defaults to None.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        """Read the part mask.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``results`` with ``gt_part_seg`` (np.uint8, (H, W)).
        """
        path = results.get('part_path')
        if not path:
            where = results.get('img_path', results.get('img_id', '<unknown image>'))
            raise KeyError(f'LoadPartMask: image {where} has no part mask path; set the '
                           "dataset's data_prefix part_path")
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'LoadPartMask: part mask {path} does not exist') from None
        try:
            # pillow keeps a palette PNG's indices, as MMSeg's LoadAnnotations reads masks
            part = mmcv.imfrombytes(data, flag='unchanged', backend='pillow')
        except Exception as e:  # decoders raise various types on corrupt data
            raise ValueError(f'LoadPartMask: part mask {path} cannot be decoded: {e}') from e
        if part is None or part.ndim != 2:
            raise ValueError(f'LoadPartMask: part mask {path} is not a one-channel index image')
        if 'img' in results and part.shape != results['img'].shape[:2]:
            h, w = results['img'].shape[:2]
            raise ValueError(f'LoadPartMask: part mask {path} is {part.shape[1]}x{part.shape[0]} '
                             f'(WxH) but its image {results.get("img_path")} is {w}x{h}')
        results['gt_part_seg'] = np.ascontiguousarray(part.astype(np.uint8))
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_part_seg' not in seg_fields:
            seg_fields.append('gt_part_seg')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'
