# Copyright (c) mmwsss contributors. All rights reserved.
"""Tiny VOC- and COCO-layout folders made on the fly, shared by the dataset and transform tests."""

import os
import os.path as osp
from typing import Callable, Dict, Optional

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmwsss.datasets.palette import voc_colormap


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Pipelines resolve MMSeg's transforms (Resize, RandomFlip, ...) as in an MMSeg config."""
    init_default_scope('mmseg')


def save_index_png(array: np.ndarray, path: str, palette: bool = True) -> None:
    """Save a uint8 class-index mask, as a VOC palette PNG or as 8-bit grayscale."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(array.astype(np.uint8))
    if palette:
        img.putpalette([v for c in voc_colormap(256) for v in c])
    img.save(path)


def save_image(path: str, h: int, w: int, seed: int) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img)


def tiny_masks() -> Dict[str, np.ndarray]:
    """Three 8x8 VOC masks: a (aeroplane + person), b (dog + ignore border), c (tvmonitor)."""
    a = np.zeros((8, 8), np.uint8)
    a[1:4, 1:5] = 1
    a[5:8, 4:8] = 15
    b = np.full((8, 8), 255, np.uint8)
    b[1:7, 1:7] = 0
    b[2:6, 2:5] = 12
    c = np.zeros((8, 8), np.uint8)
    c[3:8, 0:3] = 20
    return dict(a=a, b=b, c=c)


@pytest.fixture
def make_voc(tmp_path) -> Callable[..., str]:
    """Builder of a tiny VOC layout; returns its root.

    Keyword args: ``labels`` (the cls_labels.txt text, default derived from the masks),
    ``train``/``val`` (list contents), ``saliency`` (write SaliencyMap/), ``skip_images`` (ids
    without a JPEG).
    """

    def build(
        labels: Optional[str] = None,
        train: str = 'a\nb\n',
        val: str = 'c\n',
        saliency: bool = True,
        skip_images: tuple = (),
        skip_saliency: tuple = (),
        mask_dir: str = 'SegmentationClass',
    ) -> str:
        root = str(tmp_path / 'VOC2012')
        masks = tiny_masks()
        for k, (img_id, mask) in enumerate(masks.items()):
            if img_id not in skip_images:
                save_image(osp.join(root, 'JPEGImages', img_id + '.jpg'), 8, 8, k)
            save_index_png(mask, osp.join(root, mask_dir, img_id + '.png'))
            if saliency and img_id not in skip_saliency:
                sal = np.where((mask > 0) & (mask < 255), 255, 0).astype(np.uint8)
                save_index_png(sal, osp.join(root, 'SaliencyMap', img_id + '.png'), palette=False)
        os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'), exist_ok=True)
        with open(osp.join(root, 'ImageSets', 'Segmentation', 'train.txt'), 'w') as f:
            f.write(train)
        with open(osp.join(root, 'ImageSets', 'Segmentation', 'val.txt'), 'w') as f:
            f.write(val)
        if labels is None:
            labels = 'a 1 15\nb 12\nc 20\n'
        with open(osp.join(root, 'cls_labels.txt'), 'w') as f:
            f.write(labels)
        return root

    return build


@pytest.fixture
def make_coco(tmp_path) -> Callable[..., str]:
    """Builder of a tiny COCO 2014 layout (grayscale index masks with values up to 80)."""

    def build(labels: Optional[str] = None) -> str:
        root = str(tmp_path / 'coco2014')
        specs = {
            ('train2014', 'COCO_train2014_000000000001'): [(1, (0, 4)), (80, (4, 8))],
            ('train2014', 'COCO_train2014_000000000002'): [(17, (2, 6))],
            ('val2014', 'COCO_val2014_000000000003'): [(45, (0, 8)), (255, (6, 8))],
        }
        derived = []
        for k, ((split, img_id), regions) in enumerate(specs.items()):
            save_image(osp.join(root, split, img_id + '.jpg'), 8, 8, 10 + k)
            mask = np.zeros((8, 8), np.uint8)
            for value, (lo, hi) in regions:
                mask[lo:hi, 1:7] = value
            save_index_png(mask, osp.join(root, 'mask', split, img_id + '.png'), palette=False)
            derived.append(' '.join([img_id] + [str(v) for v, _ in regions if v != 255]))
        with open(osp.join(root, 'cls_labels.txt'), 'w') as f:
            f.write(labels if labels is not None else '\n'.join(derived) + '\n')
        return root

    return build
