# Copyright (c) mmwsss contributors. All rights reserved.
"""MMSeg's geometric transforms move the saliency map exactly like the mask.

The saliency map of the test image is a fixed function (a look-up table) of its mask, so after any
sequence of resizes, crops and flips the two must still satisfy ``saliency == LUT[mask]``.
"""

import os.path as osp

import numpy as np
import pytest
from mmengine.dataset import Compose
from PIL import Image

LUT = np.zeros(256, np.uint8)
LUT[[0, 1, 2, 255]] = [0, 90, 180, 255]


@pytest.fixture
def sample(tmp_path):
    h, w = 12, 16  # not square, so a transposition would show
    mask = np.zeros((h, w), np.uint8)
    mask[1:5, 2:11] = 1
    mask[6:11, 9:15] = 2
    mask[0, :] = 255
    mask[7, 1:4] = 1
    img = np.random.default_rng(3).integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / 'img.png')
    Image.fromarray(mask).save(tmp_path / 'mask.png')
    Image.fromarray(LUT[mask]).save(tmp_path / 'sal.png')
    return dict(
        img_path=str(tmp_path / 'img.png'),
        seg_map_path=str(tmp_path / 'mask.png'),
        sal_path=str(tmp_path / 'sal.png'),
        reduce_zero_label=False,
        seg_fields=[],
    ), mask


LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='LoadSaliencyMap')]


@pytest.mark.parametrize(
    'steps',
    [
        [dict(type='RandomFlip', prob=1.0)],
        [dict(type='RandomFlip', prob=1.0, direction='vertical')],
        [dict(type='Resize', scale=(37, 23), keep_ratio=False)],
        [dict(type='Resize', scale=(40, 40), keep_ratio=True)],
        [dict(type='RandomResize', scale=(32, 24), ratio_range=(0.5, 2.0), keep_ratio=True)],
        [dict(type='RandomCrop', crop_size=(7, 9))],
        [
            dict(type='RandomResize', scale=(32, 24), ratio_range=(0.5, 2.0), keep_ratio=True),
            dict(type='RandomCrop', crop_size=(10, 10)),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PhotoMetricDistortion'),
        ],
    ],
)
def test_saliency_follows_mask(sample, steps):
    info, mask = sample
    pipeline = Compose(LOAD + steps)
    for seed in range(4):
        np.random.seed(seed)
        out = pipeline(dict(info, seg_fields=[]))
        assert out['gt_saliency'].shape == out['gt_seg_map'].shape == out['img'].shape[:2]
        np.testing.assert_array_equal(out['gt_saliency'], LUT[out['gt_seg_map']])


def test_flip_and_resize_really_change_the_maps(sample):
    info, mask = sample
    out = Compose(LOAD + [dict(type='RandomFlip', prob=1.0)])(dict(info, seg_fields=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], mask[:, ::-1])
    np.testing.assert_array_equal(out['gt_saliency'], LUT[mask[:, ::-1]])
    out = Compose(LOAD + [dict(type='Resize', scale=(32, 24), keep_ratio=False)])(
        dict(info, seg_fields=[])
    )
    assert out['gt_saliency'].shape == (24, 32)
    np.testing.assert_array_equal(out['gt_saliency'], LUT[np.repeat(np.repeat(mask, 2, 0), 2, 1)])


def test_packed_saliency_matches_packed_mask(sample):
    info, _ = sample
    pipeline = Compose(
        LOAD
        + [
            dict(type='RandomResize', scale=(32, 24), ratio_range=(0.5, 2.0), keep_ratio=True),
            dict(type='RandomCrop', crop_size=(10, 10)),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackWSSSInputs'),
        ]
    )
    np.random.seed(0)
    sample = pipeline(dict(info, seg_fields=[]))['data_samples']
    gt = sample.gt_sem_seg.data.numpy().astype(np.uint8)
    assert np.array_equal(sample.gt_saliency.data.numpy(), LUT[gt])
    assert osp.basename(sample.img_path) == 'img.png'
