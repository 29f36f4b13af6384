# Copyright (c) mmwsss contributors. All rights reserved.
"""Region confusion: a local shuffle of the cells of an image grid (the
mechanism behind the Low-Level Destruction Module)."""

from typing import Optional, Sequence, Tuple, Union

import numpy as np

_FILE = 'projects/destruction_learning/destruction_learning/region_confusion.py'

RandomSource = Union[None, int, np.random.Generator, np.random.RandomState]
GridSize = Union[int, Sequence[int]]


def to_grid(grid_size: GridSize, where: str = _FILE) -> Tuple[int, int]:
    """``grid_size`` as (rows, cols) of positive ints; an int means square.

    Raises:
        ValueError: If it is not a positive int or a pair of them.
    """
    if isinstance(grid_size, (int, np.integer)) and not isinstance(grid_size, bool):
        grid = (int(grid_size), int(grid_size))
    elif isinstance(grid_size, (list, tuple)) and len(grid_size) == 2:
        grid = tuple(grid_size)
    else:
        raise ValueError(
            f'{where}: grid_size must be an int or a pair of ints (rows, cols), got {grid_size!r}.'
        )
    if any(isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1 for g in grid):
        raise ValueError(f'{where}: grid_size entries must be positive ints, got {grid_size!r}.')
    return int(grid[0]), int(grid[1])


def _uniform(rng: RandomSource, low: float, high: float, size: int) -> np.ndarray:
    """Draws in [low, high) from ``rng`` (None: NumPy's global state)."""
    if rng is None:
        return np.random.uniform(low, high, size)
    return rng.uniform(low, high, size)


def _jittered_order(n: int, jitter: int, rng: RandomSource) -> np.ndarray:
    """A permutation of ``range(n)`` moving every index by at most ``jitter``.

    Every position ``i`` gets the key ``i + r`` with ``r`` uniform in
    ``[-(jitter + 1) / 2, (jitter + 1) / 2)`` and the positions are sorted
    by key. Two positions ``jitter + 1`` or more apart can never swap
    (their key intervals only touch at an excluded end), so no index moves
    more than ``jitter`` places, while any closer pair can.

    Returns:
        np.ndarray: int64 (n, ); entry ``p`` is the index now at place ``p``.
    """
    if jitter == 0 or n == 1:
        return np.arange(n)
    half = (jitter + 1) / 2.0
    keys = np.arange(n) + _uniform(rng, -half, half, n)
    return np.argsort(keys, kind='stable')


def region_confusion_permutation(
    grid_size: GridSize, jitter: int, rng: RandomSource = None
) -> np.ndarray:
    """A local shuffle of the cells of a grid (DCL's region confusion).

    First every row reorders its cells by a jittered sort, then every
    column does; so each cell moves at most ``jitter`` cells horizontally
    and at most ``jitter`` cells vertically, and the result is a
    permutation of all cells.

    Args:
        grid_size (int | Sequence[int]): Cells per side, or (rows, cols).
        jitter (int): Largest displacement of a cell along each axis, in
            cells (>= 0; 0 gives the identity). DCL's ``k`` (key noise in
            ``(-k, k)``) corresponds to ``jitter = 2k - 1``.
        rng (int | np.random.Generator | np.random.RandomState, optional):
            Source of randomness; an int is a seed (same seed, same
            shuffle); None draws from NumPy's global state (seeded per
            dataloader worker by MMEngine).

    Returns:
        np.ndarray: int64 (rows, cols); entry (r, c) is the flat index
        (``row * cols + col``) of the source cell that lands at (r, c).
    """
    rows, cols = to_grid(grid_size)
    if isinstance(jitter, bool) or not isinstance(jitter, (int, np.integer)) or jitter < 0:
        raise ValueError(f'{_FILE}: jitter must be an int >= 0, got {jitter!r}.')
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        rng = np.random.default_rng(int(rng))
    src = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    for r in range(rows):
        src[r] = src[r, _jittered_order(cols, jitter, rng)]
    for c in range(cols):
        src[:, c] = src[_jittered_order(rows, jitter, rng), c]
    return src


def destruct_image(
    img: np.ndarray, permutation: np.ndarray, where: Optional[str] = None
) -> np.ndarray:
    """Move the cells of an image as ``permutation`` says.

    The grid covers the largest top-left region whose sides are multiples
    of the grid: cells are ``H // rows`` x ``W // cols`` pixels; the last
    ``H % rows`` rows and ``W % cols`` columns (fewer than a cell) stay in
    place. Every pixel is kept: the output is a pixel permutation.

    Args:
        img (np.ndarray): (H, W) or (H, W, C), any dtype.
        permutation (np.ndarray): (rows, cols) flat source indices, as
            :func:`region_confusion_permutation` returns.
        where (str, optional): Names the image in errors (e.g. its path).

    Returns:
        np.ndarray: A new array shaped like ``img``.
    """
    where = where or 'an image'
    perm = np.asarray(permutation)
    if perm.ndim != 2:
        raise ValueError(f'{_FILE}: permutation must be (rows, cols), got shape {perm.shape}.')
    rows, cols = perm.shape
    if not np.array_equal(np.sort(perm.ravel()), np.arange(rows * cols)):
        raise ValueError(f'{_FILE}: permutation is not a permutation of the {rows}x{cols} cells.')
    if img.ndim not in (2, 3):
        raise ValueError(f'{_FILE}: {where} must be (H, W) or (H, W, C), got shape {img.shape}.')
    height, width = img.shape[:2]
    ch, cw = height // rows, width // cols
    if ch == 0 or cw == 0:
        raise ValueError(
            f'{_FILE}: {where} is {width}x{height} (WxH), too '
            f'small for a {rows}x{cols} grid (rows x cols).'
        )
    out = img.copy()
    region = img[: rows * ch, : cols * cw]
    rest = region.shape[2:]
    cells = region.reshape((rows, ch, cols, cw) + rest).swapaxes(1, 2)
    cells = cells.reshape((rows * cols, ch, cw) + rest)[perm.ravel()]
    out[: rows * ch, : cols * cw] = (
        cells.reshape((rows, cols, ch, cw) + rest).swapaxes(1, 2).reshape(region.shape)
    )
    return out
