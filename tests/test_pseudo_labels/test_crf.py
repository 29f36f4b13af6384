# Copyright (c) mmwsss contributors. All rights reserved.
"""pseudo_label_cfg.crf: the rules' arg-max after the dense CRF, the official settings, and a clear
error without the pydensecrf2 extra."""

import sys

import numpy as np
import pytest

from mmwsss.models.utils import DenseCRF
from mmwsss.pseudo_labels import (
    build_label_crf,
    crf_argmax,
    fuse_with_saliency,
    fuse_with_threshold,
    generate_pseudo_label,
    uses_crf,
)

H, W = 10, 12


def _case():
    """Black left half, white right half; class 1's map is 0.6 on the right, 0.2 on the left,
    with three right-half pixels dipping to 0.35 (below a threshold of 0.4)."""
    image = np.zeros((H, W, 3), np.uint8)
    image[:, W // 2 :] = 255
    maps = np.full((1, H, W), 0.2, np.float32)
    maps[0, :, W // 2 :] = 0.6
    for y, x in ((2, 8), (5, 9), (7, 7)):
        maps[0, y, x] = 0.35
    right = np.zeros((H, W), bool)
    right[:, W // 2 :] = True
    return image, maps, right


def test_official_settings_by_default():
    crf = build_label_crf(True)
    assert isinstance(crf, DenseCRF)
    assert (crf.iterations, crf.pos_w, crf.pos_xy_std, crf.bi_w, crf.bi_xy_std, crf.bi_rgb_std) == (
        10,
        3,
        1,
        4,
        67,
        3,
    )
    assert build_label_crf(dict(iterations=2)).iterations == 2
    assert build_label_crf(None) is None and build_label_crf(False) is None
    assert uses_crf(dict(mode='saliency', crf=True)) and uses_crf(dict(mode='x', crf={}))
    assert not uses_crf(dict(mode='saliency')) and not uses_crf(dict(mode='x', crf=False))
    with pytest.raises(TypeError, match='pseudo_label_cfg.crf must be'):
        build_label_crf('yes')
    with pytest.raises(TypeError, match=r"pseudo_label_cfg.crf=\{'sigma': 1\}"):
        build_label_crf(dict(sigma=1))


def test_threshold_rule_follows_the_image_with_crf():
    image, maps, right = _case()
    plain = fuse_with_threshold(maps, bg_thr=0.4)
    assert (plain[right] == 0).sum() == 3  # the three dips
    refined = generate_pseudo_label(maps, dict(mode='threshold', bg_thr=0.4, crf=True), image=image)
    np.testing.assert_array_equal(refined, right.astype(np.uint8))
    np.testing.assert_array_equal(
        refined, fuse_with_threshold(maps, 0.4, image=image, crf=DenseCRF())
    )
    # the ignore band still applies to the original scores, after the CRF
    banded = generate_pseudo_label(
        maps, dict(mode='threshold', bg_thr=0.4, ignore_margin=0.1, crf=True), image=image
    )
    assert (banded == 255).sum() == 3 and (banded[right] == 1).sum() == right.sum() - 3
    # no pairwise terms: the CRF keeps the unary decision
    flat = generate_pseudo_label(
        maps, dict(mode='threshold', bg_thr=0.4, crf=dict(pos_w=0, bi_w=0)), image=image
    )
    np.testing.assert_array_equal(flat, plain)


def test_saliency_rule_with_crf():
    image, maps, right = _case()
    saliency = np.where(right, 255, 0).astype(np.uint8)
    plain = fuse_with_saliency(maps, saliency, cls_labels=[1], score_thr=0.4)
    assert (plain[right] == 255).sum() == 3  # salient, no class above 0.4: ignored
    refined = generate_pseudo_label(
        maps,
        dict(mode='saliency', score_thr=0.4, crf=True),
        saliency=saliency,
        cls_labels=[1],
        image=image,
    )
    np.testing.assert_array_equal(refined, right.astype(np.uint8))


def test_crf_argmax_channels():
    image, maps, right = _case()
    scores = np.concatenate([np.full((1, H, W), 0.4, np.float32), maps, np.zeros_like(maps)])
    # only the background and the classes with a positive score may win
    assert set(np.unique(crf_argmax(scores, image, DenseCRF()))) == {0, 1}
    assert not crf_argmax(scores, image, DenseCRF(), channels=[]).any()
    assert crf_argmax(scores, image, DenseCRF(), channels=[1, 2]).max() <= 2
    with pytest.raises(ValueError, match=r'channels \[3\] outside 1..2'):
        crf_argmax(scores, image, DenseCRF(), channels=[3])
    with pytest.raises(ValueError, match="needs the image at the maps' size"):
        crf_argmax(scores, image[:, :6], DenseCRF())


def test_crf_needs_the_image_and_takes_only_crf_options():
    _, maps, _ = _case()
    with pytest.raises(ValueError, match='pseudo_label_cfg.crf needs the image'):
        generate_pseudo_label(maps, dict(mode='threshold', bg_thr=0.4, crf=True))
    with pytest.raises(ValueError, match='a CRF needs the image'):
        fuse_with_threshold(maps, 0.4, crf=DenseCRF())
    with pytest.raises(ValueError, match=r"does not take \['image'\].*'crf'"):
        generate_pseudo_label(maps, dict(mode='threshold', bg_thr=0.4, image=1))


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pydensecrf', None)
    monkeypatch.setitem(sys.modules, 'pydensecrf.densecrf', None)
    image, maps, _ = _case()
    with pytest.raises(
        ImportError,
        match=r'pseudo_label_cfg.crf needs the dense-CRF extra '
        r'pydensecrf2.*requirements/optional.txt.*MMWSSS_EXTRAS=0',
    ):
        generate_pseudo_label(maps, dict(mode='threshold', bg_thr=0.4, crf=True), image=image)
    # without crf nothing needs the extra
    assert generate_pseudo_label(maps, dict(mode='threshold', bg_thr=0.4)).shape == (H, W)
