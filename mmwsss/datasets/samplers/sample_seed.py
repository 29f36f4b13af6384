# Copyright (c) mmwsss contributors. All rights reserved.
"""Per-sample seeds: the index a sampler hands out carries the seed of that sample's augmentation.

The random transforms of MMCV, MMSeg, mmpretrain and mmwsss draw from the global random number
generators of the process that runs the pipeline: NumPy's (``RandomCrop``, ``RandomFlip``,
``RandomResize``, ``ColorJitter``'s parameters, ``LowLevelDestruction``'s region shuffle),
Python's ``random`` (MMSeg's ``PhotoMetricDistortion``) and torch's (torchvision transforms). In a
data-loader worker those generators are seeded once when the worker starts, so what a sample gets
depends on which worker loads it and on how many samples that worker produced before, i.e. on the
number of workers, on whether they persist, and on where the run last (re)started.

Here the seed travels with the index instead: a :class:`SeededIndex` is an ``int`` (usable as an
index everywhere) that also carries ``seed``, derived by :func:`sample_seed` from the run's seed,
the epoch and the dataset index alone. A dataset with :class:`SampleSeedMixin` seeds the three
generators from it for the duration of that sample's pipeline and restores their previous states
afterwards, so the process's own streams are neither read nor advanced by data loading.
"""

import random
from contextlib import contextmanager
from typing import Any, Iterator, Tuple

import numpy as np
import torch

__all__ = [
    'SeededIndex',
    'sample_seed',
    'process_seed',
    'seeded_global_rngs',
    'seed_global_rngs',
    'SampleSeedMixin',
]

# Domain tags keep the per-sample seeds and the per-process seeds apart (arbitrary constants).
_SAMPLE_DOMAIN = 0x5EED5A
_PROCESS_DOMAIN = 0x5EED9C


def _check_non_negative(**values: Any) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f'{name} must be an int >= 0, got {value!r}')


def _derive(*words: int) -> int:
    """A 32-bit seed mixed from ``words`` by NumPy's ``SeedSequence`` (a hash, no RNG state)."""
    return int(np.random.SeedSequence([int(w) for w in words]).generate_state(1, np.uint32)[0])


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of dataset item ``index`` in epoch ``epoch`` of a run seeded ``seed``.

    Args:
        seed (int): The run's (sampler's) seed, >= 0.
        epoch (int): The epoch, >= 0.
        index (int): The index in the dataset, >= 0.

    Returns:
        int: A seed in [0, 2**32), a function of the three arguments only.
    """
    _check_non_negative(seed=seed, epoch=epoch, index=index)
    return _derive(_SAMPLE_DOMAIN, seed, epoch, index)


def process_seed(seed: int, epoch: int) -> int:
    """The seed of a training process's own generators (model-side randomness) for one epoch.

    The same on every rank, as MMEngine seeds the ranks by default (``diff_rank_seed=False``): a
    reseed that happens before the model's weights are initialised (an iteration-based loop starts
    its data-loader iterator when it is built) then initialises every rank alike.

    Args:
        seed (int): The run's (sampler's) seed, >= 0.
        epoch (int): The epoch, >= 0.

    Returns:
        int: A seed in [0, 2**32), from another stream than any :func:`sample_seed`.
    """
    _check_non_negative(seed=seed, epoch=epoch)
    return _derive(_PROCESS_DOMAIN, seed, epoch)


class SeededIndex(int):
    """A dataset index that carries the seed of its sample's augmentation.

    Behaves as the plain ``int`` it equals (hashing, comparison, indexing NumPy arrays and lists);
    arithmetic on it returns plain ints, so the seed does not leak into derived indices. It pickles
    with its seed, so it reaches data-loader workers intact.

    Args:
        index (int): The dataset index.
        seed (int): The sample's seed (see :func:`sample_seed`).
    """

    seed: int

    def __new__(cls, index: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.seed = int(seed)
        return obj

    def __reduce__(self) -> Tuple[type, Tuple[int, int]]:
        return type(self), (int(self), self.seed)

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'


def seed_global_rngs(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch's generators (every device).

    Args:
        seed (int): In [0, 2**32).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def seeded_global_rngs(seed: int) -> Iterator[None]:
    """Run the body with Python's, NumPy's and torch's CPU generators seeded from ``seed``.

    Their states before the block are restored afterwards (also when the body raises). Only the
    CPU generator of torch is touched: data pipelines run on the CPU, and a CUDA generator of the
    main process (``num_workers=0``) keeps its stream.

    Args:
        seed (int): In [0, 2**32).
    """
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = torch.random.get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.random.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.random.set_rng_state(torch_state)


class SampleSeedMixin:
    """Makes a dataset honour :class:`SeededIndex`: each sample's pipeline runs under its own seed.

    Put it first among the bases of an MMEngine ``BaseDataset`` subclass (mmwsss's
    :class:`~mmwsss.datasets.WSSSBaseDataset` has it, so every mmwsss dataset honours the seed).
    ``dataset[SeededIndex(i, s)]`` loads item ``i`` with the global generators seeded from ``s``
    (a refetch after a ``None`` from the pipeline included) and restores them afterwards;
    ``dataset[i]`` with a plain int is unchanged. :class:`~mmwsss.datasets.SeededSampler` refuses a
    dataset without this mixin.
    """

    def __getitem__(self, idx: int) -> Any:
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return super().__getitem__(idx)  # type: ignore[misc]
        with seeded_global_rngs(seed):
            return super().__getitem__(int(idx))  # type: ignore[misc]
