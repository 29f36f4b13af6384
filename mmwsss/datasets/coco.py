# Copyright (c) mmwsss contributors. All rights reserved.
"""MS COCO 2014 (80 classes + background) with image-level labels."""

from typing import Optional

from mmwsss.registry import DATASETS
from .palette import voc_colormap
from .wsss_base import WSSSBaseDataset

COCO_CLASSES = (
    'background',
    'person',
    'bicycle',
    'car',
    'motorcycle',
    'airplane',
    'bus',
    'train',
    'truck',
    'boat',
    'traffic light',
    'fire hydrant',
    'stop sign',
    'parking meter',
    'bench',
    'bird',
    'cat',
    'dog',
    'horse',
    'sheep',
    'cow',
    'elephant',
    'bear',
    'zebra',
    'giraffe',
    'backpack',
    'umbrella',
    'handbag',
    'tie',
    'suitcase',
    'frisbee',
    'skis',
    'snowboard',
    'sports ball',
    'kite',
    'baseball bat',
    'baseball glove',
    'skateboard',
    'surfboard',
    'tennis racket',
    'bottle',
    'wine glass',
    'cup',
    'fork',
    'knife',
    'spoon',
    'bowl',
    'banana',
    'apple',
    'sandwich',
    'orange',
    'broccoli',
    'carrot',
    'hot dog',
    'pizza',
    'donut',
    'cake',
    'chair',
    'couch',
    'potted plant',
    'bed',
    'dining table',
    'toilet',
    'tv',
    'laptop',
    'mouse',
    'remote',
    'keyboard',
    'cell phone',
    'microwave',
    'oven',
    'toaster',
    'sink',
    'refrigerator',
    'book',
    'clock',
    'vase',
    'scissors',
    'teddy bear',
    'hair drier',
    'toothbrush',
)


@DATASETS.register_module()
class WSSSCOCODataset(WSSSBaseDataset):
    """MS COCO 2014 for WSSS: 80 object classes + background, masks as index PNGs (0..80, 255
    ignore).

    Layout under ``data_root``::

        train2014/<id>.jpg, val2014/<id>.jpg        (<id> like COCO_train2014_000000000009)
        mask/train2014/<id>.png, mask/val2014/<id>.png
        cls_labels.txt                              (tools/dataset_converters/coco_cls_labels.py)
        <lists>.txt                                 (optional; '' lists every image of img_path)

    Mask value ``k`` (1..80) is the k-th COCO category in increasing category id order, the
    convention of the WSSS COCO masks in common use.

    Args:
        ann_file (str): Image list, or ``''`` for every image of ``img_path``. Defaults to ``''``.
        cls_label_file (str, optional): Class label file. Defaults to ``'cls_labels.txt'``.
        data_prefix (dict): Defaults to ``dict(img_path='train2014',
            seg_map_path='mask/train2014')``.
        **kwargs: See :class:`WSSSBaseDataset`.
    """

    METAINFO = dict(classes=COCO_CLASSES, palette=voc_colormap(len(COCO_CLASSES)))

    def __init__(
        self,
        ann_file: str = '',
        cls_label_file: Optional[str] = 'cls_labels.txt',
        data_prefix: Optional[dict] = None,
        img_suffix: Optional[str] = '.jpg',
        **kwargs,
    ) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='train2014', seg_map_path='mask/train2014')
        super().__init__(
            ann_file=ann_file,
            cls_label_file=cls_label_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            **kwargs,
        )
