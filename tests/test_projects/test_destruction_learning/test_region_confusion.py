# Copyright (c) mmwsss contributors. All rights reserved.
"""Region confusion: a local permutation of grid cells, applied to images."""

import numpy as np
import pytest

from projects.destruction_learning.destruction_learning import (
    destruct_image,
    region_confusion_permutation,
)


def _positions(perm):
    """(rows, cols, 2): where each source cell ended up."""
    rows, cols = perm.shape
    where = np.zeros((rows * cols, 2), int)
    for r in range(rows):
        for c in range(cols):
            where[perm[r, c]] = (r, c)
    return where.reshape(rows, cols, 2)


@pytest.mark.parametrize('grid, jitter', [((4, 4), 1), ((5, 3), 2), ((6, 6), 3), ((3, 7), 0)])
def test_permutation_moves_each_cell_at_most_jitter(grid, jitter):
    rows, cols = grid
    source = np.stack(np.meshgrid(np.arange(rows), np.arange(cols), indexing='ij'), -1)
    largest = 0
    for seed in range(40):
        perm = region_confusion_permutation(grid, jitter, seed)
        assert perm.shape == grid
        assert sorted(perm.ravel().tolist()) == list(range(rows * cols))  # a permutation
        moved = np.abs(_positions(perm) - source)
        assert moved.max() <= jitter
        largest = max(largest, moved.max())
    # the bound is reached: cells do move by jitter (0 is the identity)
    assert largest == min(jitter, max(grid) - 1)


def test_same_seed_same_shuffle_and_seeds_differ():
    a = region_confusion_permutation(4, 2, 7)
    assert np.array_equal(a, region_confusion_permutation(4, 2, 7))
    assert np.array_equal(a, region_confusion_permutation(4, 2, np.random.default_rng(7)))
    others = [region_confusion_permutation(4, 2, s) for s in range(8, 14)]
    assert any(not np.array_equal(a, o) for o in others)
    np.random.seed(3)
    b = region_confusion_permutation(4, 2)
    np.random.seed(3)
    assert np.array_equal(b, region_confusion_permutation(4, 2))


def test_destruct_image_keeps_every_pixel_and_moves_whole_cells():
    # 9 x 10 image with a 2 x 3 grid: cells 4 x 3, one row and one column left over
    img = np.arange(9 * 10 * 2).reshape(9, 10, 2)
    perm = region_confusion_permutation((2, 3), 2, 1)
    assert not np.array_equal(perm.ravel(), np.arange(6))
    out = destruct_image(img, perm)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(np.sort(out, axis=None), np.sort(img, axis=None))
    assert np.array_equal(out[8:], img[8:]) and np.array_equal(out[:, 9:], img[:, 9:])
    for r in range(2):
        for c in range(3):
            sr, sc = divmod(perm[r, c], 3)
            assert np.array_equal(
                out[4 * r : 4 * r + 4, 3 * c : 3 * c + 3],
                img[4 * sr : 4 * sr + 4, 3 * sc : 3 * sc + 3],
            )
    # (H, W) images too; the input is not modified
    flat = img[..., 0].copy()
    assert np.array_equal(destruct_image(flat, perm), out[..., 0])
    assert np.array_equal(flat, img[..., 0])


def test_bad_arguments():
    with pytest.raises(ValueError, match='too small for a 4x4 grid'):
        destruct_image(np.zeros((3, 8, 3)), region_confusion_permutation(4, 1, 0))
    with pytest.raises(ValueError, match='not a permutation'):
        destruct_image(np.zeros((8, 8)), np.zeros((2, 2), int))
    with pytest.raises(ValueError, match='jitter must be an int >= 0'):
        region_confusion_permutation(4, -1)
    with pytest.raises(ValueError, match='grid_size'):
        region_confusion_permutation((4, 0), 1)
