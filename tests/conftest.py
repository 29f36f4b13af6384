# Copyright (c) mmwsss contributors. All rights reserved.
"""Test-wide settings and fixtures.

One torch thread (tiny tensors on a shared 2-core machine run far faster). ``mmseg_scope``,
``data_root`` (a tiny synthetic benchmark), ``model`` (a tiny untrained DRS classifier) and
``make_runner`` (an MMEngine Runner around a model) serve the map-generation tests; a folder's
conftest makes ``mmseg_scope`` automatic where every test needs it.
"""

import uuid

import pytest
import torch
from generation_helpers import IMAGE_SIZE, NUM_FG, NUM_IMAGES, build_tiny_model
from mmengine.registry import init_default_scope

torch.set_num_threads(1)


@pytest.fixture
def mmseg_scope():
    """MMSeg's default scope, as a config sets it."""
    init_default_scope('mmseg')


@pytest.fixture
def data_root(tmp_path) -> str:
    from mmwsss.datasets import generate_synthetic_benchmark

    root = str(tmp_path / 'synthetic')
    generate_synthetic_benchmark(
        root,
        num_train=NUM_IMAGES,
        num_val=0,
        num_object_classes=NUM_FG,
        image_size=IMAGE_SIZE,
        seed=0,
    )
    return root


@pytest.fixture
def model(mmseg_scope) -> torch.nn.Module:
    return build_tiny_model()


@pytest.fixture
def make_runner(tmp_path, mmseg_scope):
    """``make_runner(model)``: a Runner (work dir ``tmp_path/work``) whose model is ``model``."""
    from mmengine.runner import Runner

    def make(model: torch.nn.Module) -> Runner:
        return Runner(
            model=model,
            work_dir=str(tmp_path / 'work'),
            default_scope='mmseg',
            experiment_name=f'test_{uuid.uuid4().hex}',
            log_level='WARNING',
        )

    return make
