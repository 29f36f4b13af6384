# Copyright (c) mmwsss contributors. All rights reserved.
import os

import numpy as np
import pytest
from PIL import Image

from mmwsss.apis.storage import (atomic_write_bytes, encode_label_png, encode_maps_npz,
                                 full_palette, image_id, is_complete_npz, is_complete_png,
                                 load_label_png, load_maps, save_label_png, save_maps,
                                 tmp_path_of)
from mmwsss.datasets.palette import voc_colormap


def test_image_id_is_the_stem():
    assert image_id('/data/JPEGImages/2007_000032.jpg') == '2007_000032'
    assert image_id('a/b.c.png') == 'b.c'


def test_maps_npz_round_trip_and_fixed_bytes(tmp_path):
    rng = np.random.default_rng(0)
    maps = rng.integers(0, 256, (2, 5, 7), dtype=np.uint8)
    data = encode_maps_npz(maps, [3, 7])
    assert encode_maps_npz(maps, [3, 7]) == data  # no timestamps in the archive
    path = str(tmp_path / 'x.npz')
    save_maps(path, maps, [3, 7])
    with open(path, 'rb') as f:
        assert f.read() == data
    with np.load(path) as plain:  # a plain np.load reads it
        np.testing.assert_array_equal(plain['maps'], maps)
    loaded, labels = load_maps(path)
    np.testing.assert_array_equal(loaded, maps)
    assert labels.dtype == np.int64 and labels.tolist() == [3, 7]
    assert is_complete_npz(path)
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    assert not is_complete_npz(path)
    with pytest.raises(ValueError, match='x.npz'):
        load_maps(path)
    assert not is_complete_npz(str(tmp_path / 'missing.npz'))
    with pytest.raises(ValueError, match='one label per channel'):
        encode_maps_npz(maps, [1])


def test_label_png_round_trip_with_palette(tmp_path):
    label = np.array([[0, 1, 255], [2, 0, 1]], np.uint8)
    palette = full_palette([[0, 0, 0], [10, 20, 30], [40, 50, 60]])
    path = str(tmp_path / 'l.png')
    save_label_png(path, label, palette)
    with Image.open(path) as img:
        assert img.mode == 'P'
        colours = img.getpalette()
    assert colours[3:6] == [10, 20, 30]
    assert colours[255 * 3:256 * 3] == voc_colormap(256)[255] == [224, 224, 192]
    np.testing.assert_array_equal(load_label_png(path), label)
    assert encode_label_png(label, palette) == open(path, 'rb').read()
    assert is_complete_png(path)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:-5])
    assert not is_complete_png(path)
    with pytest.raises(ValueError, match='uint8'):
        encode_label_png(label.astype(np.int32), palette)


def test_atomic_write_replaces_and_leaves_no_tmp(tmp_path):
    path = str(tmp_path / 'f.bin')
    with open(tmp_path_of(path), 'wb') as f:
        f.write(b'left over by a killed run')
    atomic_write_bytes(path, b'new')
    assert open(path, 'rb').read() == b'new'
    assert os.listdir(tmp_path) == ['f.bin']
