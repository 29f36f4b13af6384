# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.datasets.transforms.color_jitter import shift_hue
from mmwsss.registry import TRANSFORMS


def test_color_jitter_negative_hue_and_masks_untouched():
    jitter = TRANSFORMS.build(
        dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1)
    )
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    mask = rng.integers(0, 5, (8, 8), dtype=np.uint8)
    changed = 0
    np.random.seed(0)
    for _ in range(20):  # hue is negative about half of the time
        out = jitter(dict(img=img.copy(), gt_seg_map=mask.copy()))
        assert out['img'].shape == img.shape and out['img'].dtype == np.uint8
        np.testing.assert_array_equal(out['gt_seg_map'], mask)
        changed += int(not np.array_equal(out['img'], img))
    assert changed > 0


def test_shift_hue_rotates_primary_colours():
    red = np.zeros((1, 1, 3), np.uint8)
    red[..., 2] = 255  # BGR red
    np.testing.assert_array_equal(shift_hue(red, 0.0), red)
    green = shift_hue(red, 1 / 3)
    assert green[0, 0, 1] > 200 and green[0, 0, 2] < 60
    blue = shift_hue(red, -1 / 3)
    assert blue[0, 0, 0] > 200 and blue[0, 0, 2] < 60
    with pytest.raises(ValueError):
        shift_hue(red, 0.7)
