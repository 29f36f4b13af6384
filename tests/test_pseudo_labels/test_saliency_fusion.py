# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmwsss.pseudo_labels import fuse_with_saliency

# One row of 8 pixels, K = 2 foreground classes (channel 0 = class 1,
# channel 1 = class 2). Every pixel exercises one branch of the DRS rule.
#             p0    p1    p2    p3    p4    p5    p6    p7
CLASS1 = [0.10, 0.15, 0.30, 0.70, 0.95, 0.95, 0.95, 1.20]
CLASS2 = [0.15, 0.10, 0.60, 0.20, 0.95, 0.92, 0.30, 0.00]
SAL = [0, 200, 200, 51, 50, 255, 10, 0]
# p0: non-salient, both scores < 0.2 -> zeroed; bg = 1 wins       -> 0
# p1: salient, both scores < 0.2 -> zeroed; bg = 0 ties, argmax 0,
#     salient-but-background                                       -> 255
# p2: salient, plain argmax (0.6 > 0.3 > bg 0)                     -> 2
# p3: salient (51 > 50); 0.20 is not below score_thr, kept         -> 1
# p4: 50 is not salient (strict >): bg 1, 0.95, 0.95: three
#     channels > 0.9 -> conflict                                   -> 255
# p5: salient: bg 0, 0.95, 0.92: only two channels > 0.9           -> 1
# p6: non-salient: bg 1 > 0.95, two channels > 0.9 (not three)     -> 0
# p7: non-salient, a refined score above 1 beats bg = 1            -> 1
EXPECTED = [0, 255, 2, 1, 255, 1, 0, 1]


def _inputs():
    maps = np.array([[CLASS1], [CLASS2]], dtype=np.float32)  # (2, 1, 8)
    saliency = np.array([SAL], dtype=np.uint8)  # (1, 8)
    return maps, saliency


def test_every_branch_of_the_drs_rule():
    maps, saliency = _inputs()
    labels = fuse_with_saliency(maps, saliency)
    assert labels.dtype == np.uint8
    assert labels.shape == (1, 8)
    assert labels[0].tolist() == EXPECTED
    # the inputs are left untouched
    assert maps[0, 0, 0] == pytest.approx(0.10)


def test_torch_inputs_and_channel_first_saliency():
    maps, saliency = _inputs()
    labels = fuse_with_saliency(torch.from_numpy(maps), torch.from_numpy(saliency)[None])
    assert isinstance(labels, np.ndarray)
    assert labels[0].tolist() == EXPECTED


def test_cls_labels_mask_absent_classes():
    maps, saliency = _inputs()
    # class 1 is not in the image, its channel is zeroed: p3 (salient) falls
    # to class 2 (0.20 is kept); p4 has two confident channels only -> bg;
    # p5 takes class 2 (0.92); p7 becomes background.
    labels = fuse_with_saliency(maps, saliency, cls_labels=[2])
    assert labels[0].tolist() == [0, 255, 2, 2, 0, 2, 0, 0]


def test_thresholds_are_configurable():
    maps, saliency = _inputs()
    # score_thr 0.5: p2's class 1 (0.3) drops, class 2 (0.6) stays -> 2;
    # p3's class 2 (0.2) drops, class 1 stays -> 1. sal_thr 60: p3 (51) is
    # now non-salient -> bg 1 wins -> 0. max_confident_channels 3: p4 is no
    # longer a conflict and non-salient, so bg 1 beats 0.95 -> 0.
    labels = fuse_with_saliency(maps, saliency, score_thr=0.5, sal_thr=60, max_confident_channels=3)
    assert labels[0].tolist() == [0, 255, 2, 0, 0, 1, 0, 1]
    # conflict_thr 0.5 on a salient pixel with two classes above it: bg is 0,
    # so only two confident channels -> no conflict; with three classes it is.
    maps3 = np.array([[[0.6]], [[0.7]], [[0.8]]], dtype=np.float32)
    sal = np.array([[255]], dtype=np.uint8)
    assert fuse_with_saliency(maps3, sal, conflict_thr=0.5)[0, 0] == 255
    assert fuse_with_saliency(maps3[:2], sal, conflict_thr=0.5)[0, 0] == 2


def test_custom_ignore_index():
    maps, saliency = _inputs()
    labels = fuse_with_saliency(maps, saliency, ignore_index=200)
    assert labels[0].tolist() == [0, 200, 2, 1, 200, 1, 0, 1]


@pytest.mark.parametrize(
    'maps, saliency, kwargs, error, message',
    [
        (np.zeros((2, 4)), np.zeros((4, 4), np.uint8), {}, ValueError, '(K, H, W)'),
        (np.zeros((2, 4, 4)), np.zeros((4, 5), np.uint8), {}, ValueError, 'size'),
        (np.zeros((2, 4, 4)), np.zeros((4, 4), np.float32), {}, TypeError, 'integer'),
        (np.zeros((2, 4, 4), np.uint8), np.zeros((4, 4), np.uint8), {}, TypeError, 'uint8_to_maps'),
        (np.full((2, 4, 4), np.nan), np.zeros((4, 4), np.uint8), {}, ValueError, 'NaN'),
        (
            np.zeros((2, 4, 4)),
            np.zeros((4, 4), np.uint8),
            dict(cls_labels=[3]),
            ValueError,
            'outside',
        ),
        (
            np.zeros((2, 4, 4)),
            np.zeros((4, 4), np.uint8),
            dict(ignore_index=2),
            ValueError,
            'ignore_index',
        ),
    ],
)
def test_bad_input_raises(maps, saliency, kwargs, error, message):
    with pytest.raises(error, match='pseudo_labels') as info:
        fuse_with_saliency(maps, saliency, **kwargs)
    assert message in str(info.value)
