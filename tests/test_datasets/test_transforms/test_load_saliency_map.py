# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from mmwsss.registry import TRANSFORMS


def results_for(sal_path, h=6, w=5):
    return dict(
        img=np.zeros((h, w, 3), np.uint8), img_path='img.jpg', sal_path=str(sal_path), seg_fields=[]
    )


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_load_grayscale(tmp_path, backend):
    sal = (np.arange(30).reshape(6, 5) * 8).astype(np.uint8)
    Image.fromarray(sal).save(tmp_path / 's.png')
    t = TRANSFORMS.build(dict(type='LoadSaliencyMap', imdecode_backend=backend))
    out = t(results_for(tmp_path / 's.png'))
    assert out['gt_saliency'].dtype == np.uint8 and out['gt_saliency'].shape == (6, 5)
    np.testing.assert_array_equal(out['gt_saliency'], sal)
    assert out['seg_fields'] == ['gt_saliency']
    assert t(out)['seg_fields'] == ['gt_saliency']  # not appended twice


def test_colour_png_is_converted_to_gray(tmp_path):
    rgb = np.full((6, 5, 3), 200, np.uint8)
    Image.fromarray(rgb).save(tmp_path / 'rgb.png')
    out = TRANSFORMS.build(dict(type='LoadSaliencyMap'))(results_for(tmp_path / 'rgb.png'))
    assert out['gt_saliency'].shape == (6, 5) and int(out['gt_saliency'][0, 0]) == 200


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'saliency map .*nope\.png does not exist'):
        TRANSFORMS.build(dict(type='LoadSaliencyMap'))(results_for(tmp_path / 'nope.png'))


def test_no_path_configured():
    with pytest.raises(KeyError, match=r'image img\.jpg has no saliency map path'):
        TRANSFORMS.build(dict(type='LoadSaliencyMap'))(dict(img_path='img.jpg', sal_path=None))


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_corrupt_file(tmp_path, backend):
    (tmp_path / 'bad.png').write_bytes(b'\x89PNG not really a png')
    with pytest.raises(ValueError, match=r'saliency map .*bad\.png cannot be decoded'):
        TRANSFORMS.build(dict(type='LoadSaliencyMap', imdecode_backend=backend))(
            results_for(tmp_path / 'bad.png')
        )


def test_size_mismatch(tmp_path):
    Image.fromarray(np.zeros((6, 4), np.uint8)).save(tmp_path / 'small.png')
    with pytest.raises(
        ValueError, match=r'small\.png is 4x6 \(WxH\) but its image img\.jpg is 5x6'
    ):
        TRANSFORMS.build(dict(type='LoadSaliencyMap'))(results_for(tmp_path / 'small.png'))
