# Copyright (c) mmwsss contributors. All rights reserved.
"""Stored localization maps (the regression target of the DRS refinement
stage), loaded so MMSeg's geometric transforms move them with the image."""

from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS
from ..stage_files import image_id, load_maps, map_path

# OpenCV (behind MMSeg's Resize) handles at most this many channels
MAX_CV2_CHANNELS = 128


@TRANSFORMS.register_module()
class LoadLocalizationMaps(BaseTransform):
    """Load an image's stored localization maps as a dense per-pixel map.

    Subclasses MMCV's ``BaseTransform``. Reads the image's stored maps (the
    data info's ``loc_map_path``, which a WSSS dataset sets from its
    ``data_prefix.loc_map_path`` folder, or ``<maps_dir>/<img_id>.npz``; the
    format of :mod:`mmwsss.datasets.stage_files`: ``maps`` uint8 (n, H, W) at
    the original image size for the n classes in ``labels``, foreground
    indices 1..C-1) and writes ``gt_loc_map``, uint8
    (H, W, K) with K = ``num_classes - 1``: channel ``k`` holds the map of
    class ``k + 1``, zero for the classes the file does not list. It appends
    ``'gt_loc_map'`` to ``seg_fields``, so MMSeg's ``Resize``/``RandomResize``
    (nearest interpolation), ``RandomFlip`` and ``RandomCrop`` transform it
    exactly like the image; :class:`PackWSSSInputs` packs it as
    ``data_sample.gt_loc_map`` (uint8 (K, H, W)). The arg-max masking of the
    DRS target is done by ``RefineHead``'s loss, after these transforms, as
    the official code does.

    Place it right after ``LoadImageFromFile`` (the size check compares with
    the loaded image). The official refinement recipe is then (with the
    dataset's ``data_prefix=dict(..., loc_map_path=<the stage-1 maps>)``, in
    a pipeline config ``'{stage1.maps_dir}'``)::

        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='LoadLocalizationMaps'),
        dict(type='Resize', scale=(320, 320), keep_ratio=False),
        dict(type='ColorJitter', brightness=0.3, contrast=0.3,
             saturation=0.3, hue=0.1),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackWSSSInputs'),

    Note: OpenCV drops the channel axis of a one-channel map when resizing
    (K = 1); ``PackWSSSInputs`` accepts (H, W) then. At most 128 channels
    (OpenCV's limit in ``Resize``).

    Required keys: ``img_id`` or ``img_path`` (with ``maps_dir``) or
    ``loc_map_path``; ``num_classes`` unless given here; ``img`` and
    ``cls_labels`` (optional, for the checks). Added keys: ``gt_loc_map``,
    ``loc_map_path``; ``seg_fields`` gains ``'gt_loc_map'``.

    Args:
        maps_dir (str, optional): Folder of the ``<img_id>.npz`` files, for
            datasets without ``loc_map_path``; when given it wins over
            ``loc_map_path``. Default: None.
        num_classes (int, optional): Classes including background (VOC: 21);
            None: ``results['num_classes']``. Default: None.
        check_labels (bool): Require the stored classes to equal the image's
            ``cls_labels`` (when the data info has them), which catches maps
            of another dataset or a stale run. Default: True.
        backend_args (dict, optional): File backend arguments. Default: None.
    """

    def __init__(
        self,
        maps_dir: Optional[str] = None,
        num_classes: Optional[int] = None,
        check_labels: bool = True,
        backend_args: Optional[dict] = None,
    ) -> None:
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(
                'LoadLocalizationMaps: num_classes counts background and '
                f'must be an int >= 2, got {num_classes!r}'
            )
        self.maps_dir = maps_dir
        self.num_classes = num_classes
        self.check_labels = check_labels
        self.backend_args = backend_args.copy() if backend_args else None

    def _path(self, results: dict) -> str:
        img_id = results.get('img_id') or (
            results.get('img_path') and image_id(results['img_path'])
        )
        if self.maps_dir is not None and img_id:
            return map_path(self.maps_dir, img_id)
        if self.maps_dir is None and results.get('loc_map_path'):
            return results['loc_map_path']
        raise KeyError(
            f'LoadLocalizationMaps: image {results.get("img_path", img_id)} has no '
            "localization map file; set the dataset's data_prefix loc_map_path (or maps_dir in "
            'the transform config, with img_id or img_path in the data info)'
        )

    def transform(self, results: dict) -> dict:
        """Read the maps of one image.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``results`` with ``gt_loc_map`` (np.uint8, (H, W, K)).
        """
        num_classes = self.num_classes
        if num_classes is None:
            num_classes = results.get('num_classes')
            if num_classes is None:
                raise KeyError(
                    'LoadLocalizationMaps: the data info of '
                    f'{results.get("img_path")} has no num_classes; set '
                    'num_classes in the transform config'
                )
        num_fg = int(num_classes) - 1
        if num_fg > MAX_CV2_CHANNELS:
            raise ValueError(
                f'LoadLocalizationMaps: {num_fg} foreground classes exceed '
                f'the {MAX_CV2_CHANNELS} channels OpenCV can resize'
            )
        path = self._path(results)
        maps, labels = load_maps(path, int(num_classes), self.backend_args)
        height, width = maps.shape[1:]
        if 'img' in results:
            img_h, img_w = results['img'].shape[:2]
            if (height, width) != (img_h, img_w):
                raise ValueError(
                    f'LoadLocalizationMaps: localization maps {path} are '
                    f'{width}x{height} (WxH) but their image '
                    f'{results.get("img_path")} is {img_w}x{img_h}; place '
                    'the transform before any resize or crop, and check the '
                    'maps were stored at the original image size'
                )
        if self.check_labels and results.get('cls_labels') is not None:
            expected = sorted(int(c) for c in results['cls_labels'])
            if sorted(labels.tolist()) != expected:
                raise ValueError(
                    f'LoadLocalizationMaps: localization map file {path} '
                    f'holds classes {sorted(labels.tolist())} but image '
                    f'{results.get("img_path")} is labelled {expected}; '
                    'regenerate the maps (or set check_labels=False)'
                )
        dense = np.zeros((height, width, num_fg), dtype=np.uint8)
        if labels.size:
            dense[:, :, labels.astype(np.int64) - 1] = maps.transpose(1, 2, 0)
        results['gt_loc_map'] = dense
        results['loc_map_path'] = path
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_loc_map' not in seg_fields:
            seg_fields.append('gt_loc_map')
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(maps_dir={self.maps_dir!r}, '
            f'num_classes={self.num_classes}, '
            f'check_labels={self.check_labels}, '
            f'backend_args={self.backend_args})'
        )
