# Copyright (c) mmwsss contributors. All rights reserved.
"""Every training stage shipped (configs/ and projects/*/configs) draws its data through
SeededSampler from a dataset that honours the per-sample seeds, so its augmentation is a function
of (seed, epoch, index) and a resumed run sees the data an uninterrupted one saw."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.datasets import SampleSeedMixin, SeededSampler
from mmwsss.registry import DATA_SAMPLERS, DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE_CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    + glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '*.py'))
    if '_base_' not in p and osp.basename(osp.dirname(p)) != 'pipelines'
)


def test_every_stage_config_is_found():
    assert len(STAGE_CONFIGS) >= 60
    assert any('/projects/pixel_self_supervision/' in p for p in STAGE_CONFIGS)
    assert any('deeplabv3plus_r101' in p for p in STAGE_CONFIGS)  # iteration-based stage 3


@pytest.mark.parametrize('path', STAGE_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_training_draws_through_the_seeded_sampler(path):
    cfg = Config.fromfile(path)
    loader = cfg.train_dataloader
    assert DATA_SAMPLERS.get(loader.sampler.type) is SeededSampler, loader.sampler
    dataset = DATASETS.get(loader.dataset.type)
    assert dataset is not None and issubclass(dataset, SampleSeedMixin), loader.dataset.type
    # an epoch-based loop tells the sampler the epoch only through DistSamplerSeedHook (without
    # it every epoch would replay epoch 0's order and augmentation); the iteration-based loop
    # sets it itself at each pass over the data
    if cfg.train_cfg.type == 'EpochBasedTrainLoop':
        assert cfg.default_hooks.sampler_seed.type == 'DistSamplerSeedHook'
    else:
        assert cfg.train_cfg.type == 'IterBasedTrainLoop', cfg.train_cfg
