# Copyright (c) mmwsss contributors. All rights reserved.
"""Packing of WSSS inputs: MMSeg's packing plus image-level labels, saliency and
localization maps."""

from typing import Sequence

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmwsss.registry import TRANSFORMS

DEFAULT_META_KEYS = (
    'img_path',
    'seg_map_path',
    'ori_shape',
    'img_shape',
    'pad_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'reduce_zero_label',
    'img_id',
)


@TRANSFORMS.register_module()
class PackWSSSInputs(PackSegInputs):
    """MMSeg's ``PackSegInputs`` that also packs ``gt_cls_label``, ``gt_saliency``, ``gt_loc_map``.

    Subclasses ``PackSegInputs`` so images, ``gt_sem_seg`` (test pipelines) and meta keys are packed
    exactly as MMSeg does; on top of that the data sample gets:

    - ``gt_cls_label``: torch.float32 tensor of shape (num_classes - 1,), from
      ``results['gt_cls_label']``.
    - ``gt_saliency``: ``PixelData(data=torch.uint8 tensor of shape (1, H, W))``, from
      ``results['gt_saliency']``.
    - ``gt_loc_map``: ``PixelData(data=torch.uint8 tensor of shape (K, H, W))``, from
      ``results['gt_loc_map']`` ((H, W, K), or (H, W) when K = 1, see ``LoadLocalizationMaps``).
    - ``gt_part_seg``: ``PixelData(data=torch.int64 tensor of shape (1, H, W))``, from
      ``results['gt_part_seg']`` (see ``LoadPartMask``).

    Args:
        meta_keys (Sequence[str]): Meta keys to pack. Defaults to MMSeg's plus ``'img_id'``.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack the inputs.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``inputs`` (torch.uint8 (3, H, W)) and ``data_samples`` (``SegDataSample``).
        """
        packed = super().transform(results)
        data_sample = packed['data_samples']
        if 'gt_cls_label' in results:
            label = np.asarray(results['gt_cls_label'], dtype=np.float32)
            if label.ndim != 1:
                raise ValueError(
                    f'PackWSSSInputs: gt_cls_label of {results.get("img_path")} must be 1-D, '
                    f'got shape {label.shape}'
                )
            data_sample.gt_cls_label = torch.from_numpy(label.copy())
        if 'gt_saliency' in results:
            sal = results['gt_saliency']
            if sal.ndim != 2:
                raise ValueError(
                    f'PackWSSSInputs: gt_saliency of {results.get("img_path")} must be '
                    f'(H, W), got shape {sal.shape}'
                )
            data = torch.from_numpy(np.ascontiguousarray(sal, dtype=np.uint8)[None].copy())
            data_sample.gt_saliency = PixelData(data=data)
        if 'gt_loc_map' in results:
            data_sample.gt_loc_map = PixelData(data=self._pack_loc_map(results))
        if 'gt_part_seg' in results:
            part = np.asarray(results['gt_part_seg'])
            if part.ndim != 2:
                raise ValueError(
                    f'PackWSSSInputs: gt_part_seg of {results.get("img_path")} must '
                    f'be (H, W), got shape {part.shape}'
                )
            data_sample.gt_part_seg = PixelData(
                data=torch.from_numpy(part.astype(np.int64)[None].copy())
            )
        return packed

    @staticmethod
    def _pack_loc_map(results: dict) -> torch.Tensor:
        """(H, W, K) or (H, W) uint8 maps -> uint8 tensor (K, H, W), checked against the image."""
        loc = np.asarray(results['gt_loc_map'])
        if loc.ndim == 2:  # OpenCV drops the channel axis of one-channel maps
            loc = loc[:, :, None]
        where = results.get('img_path')
        if loc.ndim != 3 or loc.dtype != np.uint8:
            raise ValueError(
                f'PackWSSSInputs: gt_loc_map of {where} must be uint8 (H, W, K), got '
                f'{loc.dtype} {loc.shape}'
            )
        img_hw = tuple(results['img'].shape[:2]) if 'img' in results else loc.shape[:2]
        if loc.shape[:2] != img_hw:
            raise ValueError(
                f'PackWSSSInputs: gt_loc_map of {where} is {loc.shape[1]}x{loc.shape[0]} (WxH) '
                f'but the image is {img_hw[1]}x{img_hw[0]}; a transform moved the image without '
                "the maps (is 'gt_loc_map' in seg_fields?)"
            )
        return torch.from_numpy(np.ascontiguousarray(loc.transpose(2, 0, 1)))
