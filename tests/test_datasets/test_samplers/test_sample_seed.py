# Copyright (c) mmwsss contributors. All rights reserved.
"""The per-sample seed protocol: seed derivation, the seeded index, the seeded generator block and
the dataset mixin."""

import pickle
import random

import numpy as np
import pytest
import torch

from mmwsss.datasets.samplers import (
    SampleSeedMixin,
    SeededIndex,
    process_seed,
    sample_seed,
    seed_global_rngs,
    seeded_global_rngs,
)


def _draws() -> tuple:
    """One draw from each global generator a pipeline may use."""
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_sample_seed_is_a_function_of_seed_epoch_and_index_only():
    assert sample_seed(0, 3, 17) == sample_seed(0, 3, 17)
    seeds = {sample_seed(s, e, i) for s in (0, 1) for e in range(4) for i in range(50)}
    assert len(seeds) == 2 * 4 * 50  # no two (seed, epoch, index) share a seed here
    assert all(0 <= s < 2**32 for s in seeds)
    # the process seeds come from another stream
    assert not seeds & {process_seed(s, e) for s in (0, 1) for e in range(4)}
    assert process_seed(5, 2) == process_seed(5, 2) != process_seed(5, 3)


@pytest.mark.parametrize('args', [(-1, 0, 0), (0, -1, 0), (0, 0, -2), (0, 0, 1.5), (True, 0, 0)])
def test_sample_seed_rejects_bad_arguments(args):
    with pytest.raises(ValueError, match='>= 0'):
        sample_seed(*args)


def test_seeded_index_is_an_int_that_carries_its_seed_through_pickling():
    idx = SeededIndex(7, seed=123)
    assert idx == 7 and hash(idx) == hash(7) and isinstance(idx, int)
    assert np.arange(10)[idx] == 7 and list(range(10))[idx] == 7
    assert idx.seed == 123 and 'seed=123' in repr(idx)
    back = pickle.loads(pickle.dumps([idx], protocol=pickle.HIGHEST_PROTOCOL))[0]
    assert type(back) is SeededIndex and back == 7 and back.seed == 123
    # derived indices are plain ints: the seed does not leak into another sample
    assert type(idx + 1) is int and type(idx % 5) is int and type(int(idx)) is int


def test_seeded_block_gives_the_same_draws_and_restores_the_outer_streams():
    seed_global_rngs(1)
    reference = [_draws() for _ in range(2)]

    seed_global_rngs(1)
    first = _draws()
    with seeded_global_rngs(99):
        inside = [_draws() for _ in range(3)]
    # the outer streams continue as if the block had not run
    assert [first, _draws()] == reference
    for _ in range(5):  # whatever state the block starts from
        _draws()
    with seeded_global_rngs(99):
        assert [_draws() for _ in range(3)] == inside
    with seeded_global_rngs(100):
        assert _draws() != inside[0]


def test_seeded_block_restores_the_streams_when_the_body_raises():
    np.random.seed(4)
    expected = np.random.rand()
    np.random.seed(4)
    with pytest.raises(RuntimeError):
        with seeded_global_rngs(5):
            np.random.rand()
            raise RuntimeError('pipeline failed')
    assert np.random.rand() == expected


class _Draws:
    """A stand-in dataset whose items are draws from the global generators."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, idx: int) -> tuple:
        assert type(idx) is int  # the mixin passes plain ints on
        return (idx,) + _draws()


class _SeededDraws(SampleSeedMixin, _Draws):
    pass


def test_mixin_runs_a_seeded_index_under_its_seed_and_leaves_plain_ints_alone():
    data = _SeededDraws()
    a = data[SeededIndex(3, seed=11)]
    _draws()
    assert data[SeededIndex(3, seed=11)] == a
    assert data[SeededIndex(3, seed=12)] != a
    assert data[SeededIndex(5, seed=11)][1:] == a[1:]  # the seed alone decides the draws
    seed_global_rngs(0)
    plain = data[3]
    assert data[3] != plain  # a plain int draws from the process's streams, which advance
    seed_global_rngs(0)
    assert data[3] == plain and plain[0] == 3
