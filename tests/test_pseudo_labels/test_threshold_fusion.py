# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmwsss.pseudo_labels import fuse_with_threshold

# One row of 5 pixels, K = 2 classes, background threshold 0.3.
#          p0   p1   p2   p3   p4
CLASS1 = [0.1, 0.5, 0.3, 0.2, 0.33]
CLASS2 = [0.2, 0.4, 0.1, 0.8, 0.0]
# p0: best 0.2 < 0.3 -> 0;  p1: 0.5 -> 1;  p2: 0.3 ties bg -> 0;
# p3: 0.8 -> 2;  p4: 0.33 > 0.3 -> 1


def _maps():
    return np.array([[CLASS1], [CLASS2]], dtype=np.float32)


def test_plain_threshold():
    labels = fuse_with_threshold(_maps(), bg_thr=0.3)
    assert labels.dtype == np.uint8 and labels.shape == (1, 5)
    assert labels[0].tolist() == [0, 1, 0, 2, 1]


def test_torch_input():
    labels = fuse_with_threshold(torch.from_numpy(_maps()), bg_thr=0.3)
    assert labels[0].tolist() == [0, 1, 0, 2, 1]


def test_ignore_band():
    # |best - 0.3| < 0.05: p2 (0.3, was bg) and p4 (0.33, was class 1).
    labels = fuse_with_threshold(_maps(), bg_thr=0.3, ignore_margin=0.05)
    assert labels[0].tolist() == [0, 1, 255, 2, 255]


def test_conflict_rule_optional():
    # channels > 0.35: p1 has two (0.5, 0.4) -> more than one -> ignored.
    labels = fuse_with_threshold(_maps(), bg_thr=0.3, conflict_thr=0.35, max_confident_channels=1)
    assert labels[0].tolist() == [0, 255, 0, 2, 1]


def test_cls_labels_mask_and_bg_thr_zero():
    # class 2 is absent: p3 keeps only class 1 (0.2) -> 1 at bg_thr 0;
    # p4's class 1 is 0.33 -> 1; every pixel with a positive score is fg.
    labels = fuse_with_threshold(_maps(), bg_thr=0.0, cls_labels=[1])
    assert labels[0].tolist() == [1, 1, 1, 1, 1]
    zeros = np.zeros((2, 1, 3), dtype=np.float32)
    assert fuse_with_threshold(zeros, bg_thr=0.0)[0].tolist() == [0, 0, 0]


def test_negative_margin_raises():
    with pytest.raises(ValueError, match='ignore_margin'):
        fuse_with_threshold(_maps(), bg_thr=0.3, ignore_margin=-0.1)
