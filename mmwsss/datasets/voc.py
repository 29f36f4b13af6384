# Copyright (c) mmwsss contributors. All rights reserved.
"""PASCAL VOC 2012 (+ SBD aug) with image-level labels."""

from typing import Optional

from mmwsss.registry import DATASETS
from .palette import voc_colormap
from .wsss_base import WSSSBaseDataset

VOC_CLASSES = (
    'background',
    'aeroplane',
    'bicycle',
    'bird',
    'boat',
    'bottle',
    'bus',
    'car',
    'cat',
    'chair',
    'cow',
    'diningtable',
    'dog',
    'horse',
    'motorbike',
    'person',
    'pottedplant',
    'sheep',
    'sofa',
    'train',
    'tvmonitor',
)


@DATASETS.register_module()
class WSSSVOCDataset(WSSSBaseDataset):
    """PASCAL VOC 2012 with the SBD augmentation, image-level labels and optional saliency maps.

    Layout under ``data_root`` (VOCdevkit/VOC2012)::

        JPEGImages/<id>.jpg
        SegmentationClassAug/<id>.png        (or SegmentationClass/; read only by test pipelines)
        ImageSets/Segmentation/{train_aug,train,val}.txt
        cls_labels.txt                       (tools/dataset_converters/voc_cls_labels.py writes it)
        <saliency folder>/<id>.png           (optional, data_prefix sal_path)

    Args:
        ann_file (str): Image list. Defaults to ``'ImageSets/Segmentation/train_aug.txt'``.
        cls_label_file (str, optional): Class label file, relative to ``data_root``. Defaults to
            ``'cls_labels.txt'``.
        data_prefix (dict): ``img_path``, ``seg_map_path``, ``sal_path`` (optional). Defaults to
            ``dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')``.
        **kwargs: See :class:`WSSSBaseDataset`.
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=voc_colormap(len(VOC_CLASSES)))

    def __init__(
        self,
        ann_file: str = 'ImageSets/Segmentation/train_aug.txt',
        cls_label_file: Optional[str] = 'cls_labels.txt',
        data_prefix: Optional[dict] = None,
        img_suffix: Optional[str] = '.jpg',
        **kwargs,
    ) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')
        super().__init__(
            ann_file=ann_file,
            cls_label_file=cls_label_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            **kwargs,
        )
