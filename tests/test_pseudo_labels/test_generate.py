# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest

from mmwsss.pseudo_labels import fuse_with_saliency, fuse_with_threshold, generate_pseudo_label

MAPS = np.array([[[0.1, 0.5, 0.95, 0.25]], [[0.0, 0.3, 0.95, 0.0]]], dtype=np.float32)
SAL = np.array([[0, 255, 0, 255]], dtype=np.uint8)


def test_saliency_mode_defaults_are_drs():
    labels = generate_pseudo_label(MAPS, dict(mode='saliency'), saliency=SAL)
    # p0 bg; p1 salient -> class 1; p2 three channels > 0.9 -> 255;
    # p3 salient, class 1 = 0.25 -> 1
    assert labels[0].tolist() == [0, 1, 255, 1]
    np.testing.assert_array_equal(labels, fuse_with_saliency(MAPS, SAL))


def test_saliency_mode_passes_options():
    cfg = dict(mode='saliency', score_thr=0.3, conflict_thr=0.99)
    labels = generate_pseudo_label(MAPS, cfg, saliency=SAL, cls_labels=[1])
    # p2 no longer a conflict (0.95 < 0.99): non-salient -> bg;
    # p3's 0.25 < 0.3 is dropped -> salient background -> 255
    assert labels[0].tolist() == [0, 1, 0, 255]


def test_threshold_mode():
    cfg = dict(mode='threshold', bg_thr=0.2, ignore_margin=0.06)
    labels = generate_pseudo_label(MAPS, cfg)
    # best scores 0.1, 0.5, 0.95, 0.25 -> 0, 1, 1, 1; band |best - 0.2| < 0.06
    # catches p3 (0.25)
    assert labels[0].tolist() == [0, 1, 1, 255]
    np.testing.assert_array_equal(labels, fuse_with_threshold(MAPS, bg_thr=0.2, ignore_margin=0.06))
    # the config dict is not consumed
    assert cfg == dict(mode='threshold', bg_thr=0.2, ignore_margin=0.06)


@pytest.mark.parametrize(
    'cfg, kwargs, message',
    [
        (dict(score_thr=0.2), {}, "'mode'"),
        (dict(mode='crf'), {}, 'unknown mode'),
        (dict(mode='saliency', bg_thr=0.2), dict(saliency=SAL), 'does not take'),
        (dict(mode='saliency'), {}, 'needs a saliency map'),
        (dict(mode='threshold'), {}, 'bg_thr'),
        (dict(mode='threshold', bg_thr=0.2, maps=MAPS), {}, 'does not take'),
    ],
)
def test_bad_config_raises(cfg, kwargs, message):
    with pytest.raises(ValueError, match='generate.py') as info:
        generate_pseudo_label(MAPS, cfg, **kwargs)
    assert message in str(info.value)
