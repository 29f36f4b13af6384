# Copyright (c) mmwsss contributors. All rights reserved.
"""The loading shared by the transforms that read one per-pixel map of an image."""

from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform


class LoadPixelMap(BaseTransform):
    """Read the single-channel PNG ``results[path_key]`` as ``results[field]`` (np.uint8 (H, W)).

    The map must have the size of ``results['img']`` when the image is loaded (place the transform
    right after ``LoadImageFromFile``); ``field`` joins ``seg_fields``, so MMSeg's geometric
    transforms move it like a mask. Subclasses set the class attributes below.

    Args:
        imdecode_backend (str): ``'cv2'`` or ``'pillow'``.
        backend_args (dict, optional): File backend arguments. Defaults to None.
    """

    path_key = ''  # data-info key of the file, set by the dataset's data_prefix
    field = ''  # results key of the map
    what = ''  # what the map is, in messages
    flag = 'unchanged'  # mmcv.imfrombytes flag
    not_2d = 'is not a one-channel image'  # message for a decoded image of the wrong shape

    def __init__(self, imdecode_backend: str, backend_args: Optional[dict] = None) -> None:
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        """Read the map.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``results`` with the map (np.uint8, (H, W)).
        """
        name, path = type(self).__name__, results.get(self.path_key)
        if not path:
            where = results.get('img_path', results.get('img_id', '<unknown image>'))
            raise KeyError(
                f'{name}: image {where} has no {self.what} path; set the '
                f"dataset's data_prefix {self.path_key}"
            )
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'{name}: {self.what} {path} does not exist') from None
        try:
            array = mmcv.imfrombytes(data, flag=self.flag, backend=self.imdecode_backend)
        except Exception as e:  # decoders raise various types on corrupt data
            raise ValueError(f'{name}: {self.what} {path} cannot be decoded: {e}') from e
        if array is None or array.ndim != 2:
            raise ValueError(f'{name}: {self.what} {path} {self.not_2d}')
        if 'img' in results and array.shape != results['img'].shape[:2]:
            h, w = results['img'].shape[:2]
            raise ValueError(
                f'{name}: {self.what} {path} is {array.shape[1]}x{array.shape[0]} '
                f'(WxH) but its image {results.get("img_path")} is {w}x{h}'
            )
        results[self.field] = np.ascontiguousarray(array.astype(np.uint8))
        seg_fields = results.setdefault('seg_fields', [])
        if self.field not in seg_fields:
            seg_fields.append(self.field)
        return results

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(imdecode_backend='{self.imdecode_backend}', "
            f'backend_args={self.backend_args})'
        )
