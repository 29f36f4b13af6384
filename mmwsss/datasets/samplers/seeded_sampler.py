# Copyright (c) mmwsss contributors. All rights reserved.
"""MMEngine's ``DefaultSampler`` whose indices carry each sample's augmentation seed."""

from typing import Iterator, Optional, Sized

from mmengine.dataset import DefaultSampler

from mmwsss.registry import DATA_SAMPLERS
from .sample_seed import SampleSeedMixin, SeededIndex, process_seed, sample_seed, seed_global_rngs

__all__ = ['SeededSampler']


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """``DefaultSampler`` (same order, padding and rank split) that makes training data a function
    of (seed, epoch, index) alone, so a resumed run sees what an uninterrupted one saw.

    Every index it yields is a :class:`~mmwsss.datasets.samplers.SeededIndex` carrying
    :func:`~mmwsss.datasets.samplers.sample_seed` ``(seed, epoch, index)``; the dataset (which must
    have :class:`~mmwsss.datasets.samplers.SampleSeedMixin`, as every mmwsss dataset has) runs that
    sample's pipeline with the global generators seeded from it. The random crop, flip, colour
    jitter, destruction shuffle, ... of a sample thus no longer depend on the number of data-loader
    workers, on whether they persist, on the number of ranks (a sample is augmented the same way
    on whichever rank loads it), or on where the run was last started.

    When the epoch's indices are drawn (in the training process, before the epoch's first
    iteration), it also reseeds that process's own generators (Python, NumPy, torch on every
    device) from :func:`~mmwsss.datasets.samplers.process_seed` ``(seed, epoch)`` (the same on
    every rank): the model-side randomness of an epoch (dropout, ...) then starts from the same
    state whether the run went through the previous epochs or was resumed from their checkpoint.
    (An iteration-based run resumed in the middle of an epoch gets the same data but not the same
    model-side random draws: the skipped iterations load their batches without running the model.)

    The epoch is set by ``DistSamplerSeedHook`` (epoch-based loops; MMSeg's default hooks have
    it) or by MMEngine's iteration-based loop at each pass over the data, as for
    ``DefaultSampler``.

    Args:
        dataset (Sized): The dataset; must honour seeded indices (``SampleSeedMixin``).
        shuffle (bool): Whether to shuffle (from ``seed + epoch``, as ``DefaultSampler``).
            Defaults to True.
        seed (int, optional): The run's seed, identical on all ranks; the Runner passes
            ``randomness.seed``. None: a random seed synchronised across ranks (then a resumed run
            matches only if the config fixes ``randomness.seed``). Defaults to None.
        round_up (bool): Pad the indices to a multiple of the world size (the padding repeats
            indices, which then get the same seed). Defaults to True.
        reseed_process (bool): Reseed the training process's generators at each epoch's start.
            Defaults to True.
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: Optional[int] = None,
        round_up: bool = True,
        reseed_process: bool = True,
    ) -> None:
        if not isinstance(dataset, SampleSeedMixin):
            raise TypeError(
                f'SeededSampler: the dataset {type(dataset).__name__} does not apply per-sample '
                'seeds (it has no mmwsss.datasets.samplers.SampleSeedMixin), so its augmentation '
                'would silently depend on the data-loader workers and on where a run resumed. '
                'Use an mmwsss dataset (WSSSBaseDataset and its subclasses), add SampleSeedMixin '
                "as the first base of the dataset class, or use type='DefaultSampler'. Dataset "
                'wrappers (ConcatDataset, RepeatDataset, ...) pass plain indices on and are not '
                'supported.'
            )
        super().__init__(dataset, shuffle=shuffle, seed=seed, round_up=round_up)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f'SeededSampler: seed must be an int >= 0, got {self.seed!r}')
        self.reseed_process = reseed_process

    def __iter__(self) -> Iterator[SeededIndex]:
        """This rank's indices of the epoch, each tagged with its seed.

        Returns:
            Iterator[SeededIndex]: ``len(self)`` indices in ``DefaultSampler``'s order.
        """
        seed, epoch = self.seed, self.epoch
        if self.reseed_process:  # now, before the epoch's first iteration, not lazily
            seed_global_rngs(process_seed(seed, epoch))
        # the seeds are derived as the loader asks for indices (~20 us each)
        return (SeededIndex(i, sample_seed(seed, epoch, i)) for i in super().__iter__())
