# Copyright (c) mmwsss contributors. All rights reserved.
"""LowLevelDestruction (the twin image) and PackDestructionInputs."""

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import TRANSFORMS
from projects.destruction_learning.destruction_learning import (
    LowLevelDestruction,
    PackDestructionInputs,
    destruct_image,
)


def make_results(size=(16, 16)):
    rng = np.random.default_rng(0)
    h, w = size
    return dict(
        img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
        img_path='a.jpg',
        img_id='a',
        ori_shape=size,
        img_shape=size,
        gt_seg_map=rng.integers(0, 3, size, dtype=np.uint8),
        gt_saliency=rng.integers(0, 255, size, dtype=np.uint8),
        seg_fields=['gt_seg_map', 'gt_saliency'],
        gt_cls_label=np.array([0, 1, 1], np.float32),
    )


def test_twin_is_a_cell_shuffle_and_nothing_else_moves():
    results = make_results()
    before = {k: np.copy(v) for k, v in results.items() if isinstance(v, np.ndarray)}
    np.random.seed(0)
    out = TRANSFORMS.build(dict(type='LowLevelDestruction', grid_size=4, jitter=2))(results)
    perm = out['destruction_permutation']
    assert perm.shape == (4, 4) and not np.array_equal(perm.ravel(), np.arange(16))
    assert np.array_equal(out['img_destructed'], destruct_image(before['img'], perm))
    assert not np.array_equal(out['img_destructed'], before['img'])
    # the image, the masks and the saliency stay unshuffled (labels are image level)
    for key in ('img', 'gt_seg_map', 'gt_saliency', 'gt_cls_label'):
        assert np.array_equal(out[key], before[key]), key
    assert out['seg_fields'] == ['gt_seg_map', 'gt_saliency']


def test_same_seed_same_twin_and_prob():
    t = LowLevelDestruction(grid_size=(2, 4), jitter=3)
    np.random.seed(5)
    a = t(make_results())['img_destructed']
    np.random.seed(5)
    assert np.array_equal(a, t(make_results())['img_destructed'])
    np.random.seed(0)
    never = LowLevelDestruction(prob=0.0)
    assert all('img_destructed' not in never(make_results()) for _ in range(5))
    half = LowLevelDestruction(prob=0.5)
    made = sum('img_destructed' in half(make_results()) for _ in range(200))
    assert 70 < made < 130


def test_pack_refuses_a_twin_of_another_size():
    # a resize or crop placed after the transform would change the image, not the twin
    results = LowLevelDestruction(grid_size=2)(make_results((16, 12)))
    results['img'] = results['img'][:8]
    with pytest.raises(ValueError, match='put LowLevelDestruction after'):
        PackDestructionInputs()(results)


def test_pack_carries_the_twin_and_the_unshuffled_fields():
    pipeline = Compose(
        [
            TRANSFORMS.build(dict(type='LowLevelDestruction', grid_size=4, jitter=1)),
            TRANSFORMS.build(dict(type='PackDestructionInputs')),
        ]
    )
    results = make_results()
    sal, seg = results['gt_saliency'].copy(), results['gt_seg_map'].copy()
    packed = pipeline(results)
    sample = packed['data_samples']
    twin = sample.img_destructed
    assert twin.shape == packed['inputs'].shape == (3, 16, 16) and twin.dtype == torch.uint8
    assert not torch.equal(twin, packed['inputs'])
    assert torch.equal(twin.flatten().sort().values, packed['inputs'].flatten().sort().values)
    assert np.array_equal(sample.gt_saliency.data[0].numpy(), sal)
    assert np.array_equal(sample.gt_sem_seg.data[0].numpy(), seg)
    assert sample.gt_cls_label.tolist() == [0, 1, 1]
    # without a twin it packs as PackWSSSInputs
    plain = PackDestructionInputs()(make_results())['data_samples']
    assert 'img_destructed' not in plain and 'gt_cls_label' in plain


def test_bad_arguments():
    with pytest.raises(ValueError, match='prob must be in'):
        LowLevelDestruction(prob=1.5)
    with pytest.raises(ValueError, match='jitter must be'):
        LowLevelDestruction(jitter=-2)
    with pytest.raises(KeyError, match="needs results\\['img'\\]"):
        LowLevelDestruction()(dict(img_path='a.jpg'))
