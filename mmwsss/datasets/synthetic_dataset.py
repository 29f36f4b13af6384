# Copyright (c) mmwsss contributors. All rights reserved.
"""The embedded synthetic benchmark, read in its VOC layout with classes from its ``meta.json``."""

import json
import os.path as osp
from typing import Optional

from mmwsss.registry import DATASETS
from .wsss_base import WSSSBaseDataset


@DATASETS.register_module()
class SyntheticWSSSDataset(WSSSBaseDataset):
    """A folder written by :func:`mmwsss.datasets.synthetic.generate_synthetic_benchmark`.

    Same loader as :class:`WSSSVOCDataset` (VOC layout); classes, palette and file suffixes come
    from the generated ``meta.json``, so the number of classes is whatever the generator was asked
    for.

    Args:
        ann_file (str): Defaults to ``'ImageSets/Segmentation/train.txt'``.
        cls_label_file (str, optional): Defaults to ``'cls_labels.txt'``.
        meta_file (str): Defaults to ``'meta.json'``.
        data_prefix (dict): Defaults to ``dict(img_path='JPEGImages',
            seg_map_path='SegmentationClass', sal_path='SaliencyMap')``, plus
            ``part_path='PartMask'`` when ``meta.json`` says the part masks were written; set a key
            to None to leave it out.
        **kwargs: See :class:`WSSSBaseDataset`.
    """

    def __init__(
        self,
        ann_file: str = 'ImageSets/Segmentation/train.txt',
        cls_label_file: Optional[str] = 'cls_labels.txt',
        meta_file: str = 'meta.json',
        data_prefix: Optional[dict] = None,
        **kwargs,
    ) -> None:
        if data_prefix is None:
            data_prefix = dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path='SaliencyMap'
            )
            part_dir = self._written_part_folder(kwargs.get('data_root'), meta_file)
            if part_dir:
                data_prefix['part_path'] = part_dir
        super().__init__(
            ann_file=ann_file,
            cls_label_file=cls_label_file,
            meta_file=meta_file,
            data_prefix=data_prefix,
            **kwargs,
        )

    @staticmethod
    def _written_part_folder(data_root: Optional[str], meta_file: str) -> Optional[str]:
        """The part-mask folder the generator recorded in ``meta.json`` (None if it wrote none)."""
        path = osp.join(data_root, meta_file) if data_root and meta_file else meta_file
        if not path or not osp.isfile(path):
            return None  # WSSSBaseDataset reports a missing meta file
        try:
            with open(path, encoding='utf-8') as f:
                folders = json.load(f).get('folders', {})
        except (OSError, ValueError, AttributeError):
            return None  # WSSSBaseDataset reports an unreadable one
        return folders.get('part_path') if isinstance(folders, dict) else None
