# Copyright (c) mmwsss contributors. All rights reserved.
import os

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.datasets.palette import voc_colormap
from mmwsss.datasets.stage_files import (
    atomic_write_bytes,
    encode_label_png,
    encode_maps_npz,
    full_palette,
    image_id,
    is_complete_npz,
    is_complete_png,
    load_label_png,
    load_maps,
    maps_to_uint8,
    save_label_png,
    save_maps,
    stage_outputs,
    tmp_path_of,
    uint8_to_maps,
)


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
        f.write(data[: len(data) // 2])
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
    assert colours[255 * 3 : 256 * 3] == voc_colormap(256)[255] == [224, 224, 192]
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


def test_stage_outputs_are_named_paths(tmp_path):
    outputs = stage_outputs(str(tmp_path))
    assert outputs == dict(
        out_dir=str(tmp_path / 'pseudo_labels'),
        maps_dir=str(tmp_path / 'pseudo_labels' / 'maps'),
        labels_dir=str(tmp_path / 'pseudo_labels' / 'labels'),
        metrics=str(tmp_path / 'pseudo_labels' / 'metrics.json'),
    )
    assert stage_outputs('w', '/abs/out', labels_dir='/l')['labels_dir'] == '/l'


VALUES = np.array([0.0, 0.5, 1.0, 0.6 / 255, 1.2, -0.1, 0.999], dtype=np.float32)


def test_round_and_floor():
    # x255: 0, 127.5, 255, 0.6, 306 (clipped), -25.5 (clipped), 254.745
    assert maps_to_uint8(VALUES).tolist() == [0, 128, 255, 1, 255, 0, 255]
    floor = maps_to_uint8(VALUES, rounding='floor')
    assert floor.tolist() == [0, 127, 255, 0, 255, 0, 254]
    assert maps_to_uint8(VALUES).dtype == np.uint8


def test_floor_matches_official_truncation():
    rng = np.random.default_rng(0)
    maps = rng.random((3, 4, 5), dtype=np.float32)
    np.testing.assert_array_equal(maps_to_uint8(maps, rounding='floor'), np.uint8(maps * 255))


def test_round_trip_error_at_most_half_a_step():
    rng = np.random.default_rng(1)
    maps = rng.random((2, 6, 7), dtype=np.float32)
    stored = maps_to_uint8(torch.from_numpy(maps))
    assert stored.shape == (2, 6, 7)
    restored = uint8_to_maps(stored)
    assert restored.dtype == np.float32 and restored.shape == maps.shape
    assert np.abs(restored - maps).max() <= 0.5 / 255 + 1e-6
    assert uint8_to_maps(np.array([0, 51, 255], np.uint8)).tolist() == pytest.approx(
        [0.0, 0.2, 1.0]
    )


def test_bad_input_raises():
    with pytest.raises(TypeError, match='float'):
        maps_to_uint8(np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match='NaN'):
        maps_to_uint8(np.array([np.nan], dtype=np.float32))
    with pytest.raises(ValueError, match='rounding'):
        maps_to_uint8(VALUES, rounding='ceil')
    with pytest.raises(TypeError, match='uint8'):
        uint8_to_maps(np.zeros(3, dtype=np.float32))
