# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.transforms import LoadPartMask, PackWSSSInputs


def _png(path, array, palette=True):
    img = Image.fromarray(np.asarray(array, np.uint8))
    if palette:
        img = img.convert('P')
        img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    img.save(path)


def test_loads_indices_and_packs_them(tmp_path):
    path = str(tmp_path / 'p.png')
    part = np.zeros((4, 5), np.uint8)
    part[1:3, 2] = 2
    _png(path, part)
    results = LoadPartMask()(
        dict(part_path=path, img=np.zeros((4, 5, 3), np.uint8), img_path='x.png', seg_fields=[])
    )
    np.testing.assert_array_equal(results['gt_part_seg'], part)
    assert 'gt_part_seg' in results['seg_fields']  # geometric transforms move it with the mask
    results.update(ori_shape=(4, 5), img_shape=(4, 5))
    packed = PackWSSSInputs()(results)
    data = packed['data_samples'].gt_part_seg.data
    assert tuple(data.shape) == (1, 4, 5) and data[0, 1, 2] == 2


def test_errors_name_the_file(tmp_path):
    with pytest.raises(KeyError, match='x.png has no part mask path'):
        LoadPartMask()(dict(img_path='x.png'))
    with pytest.raises(FileNotFoundError, match='missing.png does not exist'):
        LoadPartMask()(dict(part_path=str(tmp_path / 'missing.png')))
    path = str(tmp_path / 'p.png')
    _png(path, np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r'p.png is 5x4 \(WxH\) but its image x.png is 6x4'):
        LoadPartMask()(dict(part_path=path, img=np.zeros((4, 6, 3)), img_path='x.png'))
