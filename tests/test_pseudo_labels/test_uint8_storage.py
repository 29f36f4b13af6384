# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmwsss.pseudo_labels import maps_to_uint8, uint8_to_maps

VALUES = np.array([0.0, 0.5, 1.0, 0.6 / 255, 1.2, -0.1, 0.999],
                  dtype=np.float32)


def test_round_and_floor():
    # x255: 0, 127.5, 255, 0.6, 306 (clipped), -25.5 (clipped), 254.745
    assert maps_to_uint8(VALUES).tolist() == [0, 128, 255, 1, 255, 0, 255]
    floor = maps_to_uint8(VALUES, rounding='floor')
    assert floor.tolist() == [0, 127, 255, 0, 255, 0, 254]
    assert maps_to_uint8(VALUES).dtype == np.uint8


def test_floor_matches_official_truncation():
    rng = np.random.default_rng(0)
    maps = rng.random((3, 4, 5), dtype=np.float32)
    np.testing.assert_array_equal(
        maps_to_uint8(maps, rounding='floor'), np.uint8(maps * 255))


def test_round_trip_error_at_most_half_a_step():
    rng = np.random.default_rng(1)
    maps = rng.random((2, 6, 7), dtype=np.float32)
    stored = maps_to_uint8(torch.from_numpy(maps))
    assert stored.shape == (2, 6, 7)
    restored = uint8_to_maps(stored)
    assert restored.dtype == np.float32 and restored.shape == maps.shape
    assert np.abs(restored - maps).max() <= 0.5 / 255 + 1e-6
    assert uint8_to_maps(np.array([0, 51, 255],
                                  np.uint8)).tolist() == pytest.approx(
                                      [0.0, 0.2, 1.0])


def test_bad_input_raises():
    with pytest.raises(TypeError, match='float'):
        maps_to_uint8(np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match='NaN'):
        maps_to_uint8(np.array([np.nan], dtype=np.float32))
    with pytest.raises(ValueError, match='rounding'):
        maps_to_uint8(VALUES, rounding='ceil')
    with pytest.raises(TypeError, match='uint8'):
        uint8_to_maps(np.zeros(3, dtype=np.float32))
