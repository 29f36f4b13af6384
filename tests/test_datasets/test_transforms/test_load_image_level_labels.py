# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest

from mmwsss.datasets.transforms import LoadImageLevelLabels
from mmwsss.registry import TRANSFORMS


def test_multi_hot():
    t = TRANSFORMS.build(dict(type='LoadImageLevelLabels'))
    out = t(dict(img_path='x.jpg', cls_labels=[1, 4, 4], num_classes=5))
    assert out['gt_cls_label'].dtype == np.float32
    np.testing.assert_array_equal(out['gt_cls_label'], [1, 0, 0, 1])


def test_num_classes_argument_overrides():
    out = LoadImageLevelLabels(num_classes=3)(dict(cls_labels=[2], num_classes=21))
    np.testing.assert_array_equal(out['gt_cls_label'], [0, 1])


@pytest.mark.parametrize('labels', [[0], [5], [-1, 2]])
def test_out_of_range_names_image(labels):
    with pytest.raises(
        ValueError, match=r'image dir/img7\.jpg has class indices .* outside 1\.\.4'
    ):
        LoadImageLevelLabels()(dict(img_path='dir/img7.jpg', cls_labels=labels, num_classes=5))


def test_no_labels_names_image():
    with pytest.raises(ValueError, match=r'image dir/img8\.jpg has no class labels'):
        LoadImageLevelLabels()(dict(img_path='dir/img8.jpg', cls_labels=[], num_classes=5))
    with pytest.raises(KeyError, match=r'img9\.jpg has no "cls_labels"'):
        LoadImageLevelLabels()(dict(img_path='img9.jpg', num_classes=5))
    with pytest.raises(KeyError, match='num_classes'):
        LoadImageLevelLabels()(dict(img_path='img9.jpg', cls_labels=[1]))
    with pytest.raises(ValueError, match='num_classes must be >= 2'):
        LoadImageLevelLabels(num_classes=1)
