# Copyright (c) mmwsss contributors. All rights reserved.
import sys

import numpy as np
import pytest

from mmwsss.models.utils import DenseCRF, import_pydensecrf


def _two_region_case():
    """Black left half, white right half; the unary says 'class 1' on the
    right only weakly and is wrong on a few right-half pixels."""
    h, w = 10, 12
    image = np.zeros((h, w, 3), np.uint8)
    image[:, w // 2 :] = 255
    p1 = np.full((h, w), 0.2, np.float32)
    p1[:, w // 2 :] = 0.6
    p1[2, 8] = p1[5, 9] = p1[7, 7] = 0.45  # noisy, wrong pixels
    return image, np.stack([1 - p1, p1]), h, w


def test_official_defaults():
    crf = DenseCRF()
    assert (crf.iterations, crf.pos_xy_std, crf.pos_w, crf.bi_xy_std, crf.bi_rgb_std, crf.bi_w) == (
        10,
        1,
        3,
        67,
        3,
        4,
    )
    assert 'bi_rgb_std=3.0' in repr(crf)


def test_crf_follows_the_image_edges():
    image, probs, h, w = _two_region_case()
    assert (probs.argmax(0)[:, w // 2 :] == 0).sum() == 3  # before the CRF
    q = DenseCRF()(image, probs)
    assert q.shape == (2, h, w) and q.dtype == np.float32
    np.testing.assert_allclose(q.sum(0), 1, atol=1e-4)
    expected = np.zeros((h, w), np.int64)
    expected[:, w // 2 :] = 1
    np.testing.assert_array_equal(q.argmax(0), expected)
    # with no pairwise terms the CRF keeps the unary decision
    q0 = DenseCRF(pos_w=0, bi_w=0)(image, probs)
    np.testing.assert_array_equal(q0.argmax(0), probs.argmax(0))


def test_bad_input():
    image, probs, h, w = _two_region_case()
    crf = DenseCRF(iterations=2)
    with pytest.raises(ValueError, match=r'probs are 6x10'):
        crf(image, probs[:, :, :6])
    with pytest.raises(ValueError, match=r'image must be \(H, W, 3\)'):
        crf(image[:, :, 0], probs)
    with pytest.raises(TypeError, match='image must be uint8'):
        crf(image.astype(np.float32), probs)
    with pytest.raises(ValueError, match=r'probs must be \(C, H, W\)'):
        crf(image, probs[0])
    bad = probs.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        crf(image, bad)
    with pytest.raises(ValueError, match='iterations must be an int >= 1'):
        DenseCRF(iterations=0)
    with pytest.raises(ValueError, match='bi_rgb_std must be > 0'):
        DenseCRF(bi_rgb_std=0)


def test_missing_pydensecrf_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pydensecrf', None)
    monkeypatch.setitem(sys.modules, 'pydensecrf.densecrf', None)
    with pytest.raises(
        ImportError,
        match=r'pip install -r '
        r'requirements/optional.txt',
    ):
        import_pydensecrf()
    with pytest.raises(ImportError, match='pydensecrf2'):
        DenseCRF()
