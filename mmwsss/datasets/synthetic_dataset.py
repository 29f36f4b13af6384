# Copyright (c) mmwsss contributors. All rights reserved.
"""The embedded synthetic benchmark, read in its VOC layout with classes from its ``meta.json``."""
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
            seg_map_path='SegmentationClass', sal_path='SaliencyMap')``; set ``sal_path=None`` to
            leave saliency out.
        **kwargs: See :class:`WSSSBaseDataset`.
    """

    def __init__(self,
                 ann_file: str = 'ImageSets/Segmentation/train.txt',
                 cls_label_file: Optional[str] = 'cls_labels.txt',
                 meta_file: str = 'meta.json',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path='SaliencyMap')
        super().__init__(
            ann_file=ann_file,
            cls_label_file=cls_label_file,
            meta_file=meta_file,
            data_prefix=data_prefix,
            **kwargs)
