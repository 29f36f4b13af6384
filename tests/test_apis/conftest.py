# Copyright (c) mmwsss contributors. All rights reserved.
"""Fixtures of the generation tests: MMSeg's scope, one thread, tiny data and model."""
import pytest
import torch
from generation_helpers import IMAGE_SIZE, NUM_FG, NUM_IMAGES, build_tiny_model
from mmengine.registry import init_default_scope

from mmwsss.datasets import generate_synthetic_benchmark


@pytest.fixture(autouse=True)
def mmseg_scope_one_thread():
    """MMSeg's scope as in a config; one torch thread (tiny convs, a busy 2-core machine)."""
    init_default_scope('mmseg')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def data_root(tmp_path) -> str:
    root = str(tmp_path / 'synthetic')
    generate_synthetic_benchmark(root, num_train=NUM_IMAGES, num_val=0,
                                 num_object_classes=NUM_FG, image_size=IMAGE_SIZE, seed=0)
    return root


@pytest.fixture
def model() -> torch.nn.Module:
    return build_tiny_model()
