# Copyright (c) mmwsss contributors. All rights reserved.
"""SeededSampler: DefaultSampler's order with per-sample seeds of (seed, epoch, index), the same
data whatever the number of workers, their persistence, the number of ranks or a restart."""

import random
from typing import List

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.runner import Runner

from mmwsss.datasets import SeededSampler, generate_synthetic_benchmark
from mmwsss.datasets.samplers import (
    SampleSeedMixin,
    SeededIndex,
    process_seed,
    sample_seed,
    seed_global_rngs,
)
from mmwsss.registry import DATA_SAMPLERS
from projects.destruction_learning import destruction_learning  # noqa: F401  (registers LLDM)


class _Draws:
    """Items are one draw from each global generator (as random transforms make them)."""

    def __len__(self) -> int:
        return 10

    def __getitem__(self, idx: int) -> tuple:
        return int(idx), random.random(), float(np.random.rand()), float(torch.rand(1))


class _SeededDraws(SampleSeedMixin, _Draws):
    pass


def _epochs(num_workers: int, persistent: bool, epochs: range, seed: int = 0) -> List[list]:
    """What a loader built like the Runner's yields in ``epochs`` (a fresh loader: a restart)."""
    loader = Runner.build_dataloader(
        dict(
            batch_size=3,
            num_workers=num_workers,
            persistent_workers=persistent,
            sampler=dict(type='SeededSampler', shuffle=True),
            dataset=_SeededDraws(),
            collate_fn=dict(type='pseudo_collate'),
        ),
        seed=seed,
    )
    out = []
    for epoch in epochs:
        loader.sampler.set_epoch(epoch)
        out.append([item for batch in loader for item in zip(*batch)])
    return out


def test_same_order_and_split_as_default_sampler_with_seeds_of_seed_epoch_index():
    data = _SeededDraws()
    ours, default = SeededSampler(data, seed=5), DefaultSampler(data, seed=5)
    for epoch in (0, 3):
        ours.set_epoch(epoch)
        default.set_epoch(epoch)
        indices = list(ours)
        assert indices == list(default) and len(indices) == len(ours)
        assert all(type(i) is SeededIndex for i in indices)
        assert [i.seed for i in indices] == [sample_seed(5, epoch, i) for i in indices]
    assert DATA_SAMPLERS.get('SeededSampler') is SeededSampler


def test_a_sample_gets_the_same_seed_on_whichever_rank_loads_it(monkeypatch):
    data = _SeededDraws()
    single = {int(i): i.seed for i in SeededSampler(data, seed=2)}
    split = {}
    for rank in (0, 1):
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda r=rank: (r, 2))
        sampler = SeededSampler(data, seed=2)
        assert sampler.rank == rank and len(sampler) == 5
        split.update({int(i): i.seed for i in sampler})
    assert split == single


def test_iterating_an_epoch_reseeds_the_process_from_seed_and_epoch():
    seed_global_rngs(process_seed(4, 2))
    expected = torch.rand(3), np.random.rand(), random.random()
    for reseed in (True, False):
        sampler = SeededSampler(_SeededDraws(), seed=4, reseed_process=reseed)
        sampler.set_epoch(2)
        # whatever the process drew before (the previous epochs' dropout, ...)
        torch.rand(7), np.random.rand(), random.random()
        iter(sampler)
        got = torch.rand(3), np.random.rand(), random.random()
        assert (torch.equal(got[0], expected[0]) and got[1:] == expected[1:]) == reseed


def test_refuses_a_dataset_that_ignores_the_seeds():
    with pytest.raises(TypeError, match='_Draws does not apply per-sample seeds'):
        SeededSampler(_Draws(), seed=0)
    with pytest.raises(ValueError, match='seed must be an int >= 0'):
        SeededSampler(_SeededDraws(), seed=-3)


def test_data_is_the_same_whatever_the_workers_and_after_a_restart():
    straight = _epochs(0, False, range(4))
    # augmentation differs between epochs and between the samples of an epoch
    assert straight[0] != straight[1]
    assert len({item[1:] for item in straight[0]}) == 10
    for workers, persistent in ((2, True), (2, False), (1, True)):
        assert _epochs(workers, persistent, range(4)) == straight, (workers, persistent)
    # a loader started afresh at epoch 2 (a resumed run) replays epochs 2 and 3 exactly
    assert _epochs(2, True, range(2, 4)) == straight[2:]
    assert _epochs(0, False, range(2, 4), seed=1) != straight[2:]


def test_a_real_wsss_pipeline_gives_the_same_tensors_with_and_without_workers(tmp_path):
    root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        root, num_train=6, num_val=0, num_object_classes=2, image_size=32, seed=0
    )
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='RandomResize', scale=(36, 36), ratio_range=(0.8, 1.2), keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
        dict(type='PhotoMetricDistortion'),  # Python's random
        dict(type='RandomCrop', crop_size=(24, 24)),
        dict(type='LowLevelDestruction', grid_size=4, jitter=1),  # its region shuffle
        dict(type='PackDestructionInputs'),
    ]

    def images(num_workers: int, persistent: bool) -> List[torch.Tensor]:
        loader = Runner.build_dataloader(
            dict(
                batch_size=2,
                num_workers=num_workers,
                persistent_workers=persistent,
                sampler=dict(type='SeededSampler', shuffle=True),
                dataset=dict(type='SyntheticWSSSDataset', data_root=root, pipeline=pipeline),
            ),
            seed=0,
        )
        out = []
        for epoch in range(2):
            loader.sampler.set_epoch(epoch)
            out += [
                torch.cat([img, sample.img_destructed])
                for batch in loader
                for img, sample in zip(batch['inputs'], batch['data_samples'])
            ]
        return out

    reference = images(0, False)
    assert len(reference) == 12
    assert not all(torch.equal(a, b) for a, b in zip(reference[:6], reference[6:]))
    for got in (images(2, True), images(2, False)):
        assert len(got) == len(reference)
        assert all(torch.equal(a, b) for a, b in zip(got, reference))
