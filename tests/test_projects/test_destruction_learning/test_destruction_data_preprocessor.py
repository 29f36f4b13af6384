# Copyright (c) mmwsss contributors. All rights reserved.
"""DestructionDataPreProcessor: twins join training batches only."""

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import MODELS
from projects.destruction_learning.destruction_learning import (
    LowLevelDestruction,
    PackDestructionInputs,
)


def make_batch(labels, with_twin):
    items = []
    for i, (label, twin) in enumerate(zip(labels, with_twin)):
        rng = np.random.default_rng(i)
        results = dict(
            img=rng.integers(0, 255, (8, 8, 3), dtype=np.uint8),
            img_path=f'{i}.jpg',
            ori_shape=(8, 8),
            img_shape=(8, 8),
            gt_saliency=rng.integers(0, 255, (8, 8), dtype=np.uint8),
            gt_cls_label=np.array(label, np.float32),
        )
        if twin:
            np.random.seed(i)
            results = LowLevelDestruction(grid_size=4, jitter=3)(results)
            assert not np.array_equal(results['destruction_permutation'].ravel(), np.arange(16))
        items.append(PackDestructionInputs()(results))
    return pseudo_collate(items)


def build():
    return MODELS.build(
        dict(
            type='DestructionDataPreProcessor',
            mean=[10.0, 20.0, 30.0],
            std=[2.0, 2.0, 2.0],
            bgr_to_rgb=True,
            size_divisor=8,
        )
    )


def test_training_batch_gets_the_twins_with_the_same_labels():
    labels = [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    batch = make_batch(labels, [True, False, True])
    twins = [batch['data_samples'][i].img_destructed.clone() for i in (0, 2)]
    sal = batch['data_samples'][0].gt_saliency.data.clone()
    out = build()(batch, training=True)
    inputs, samples = out['inputs'], out['data_samples']
    assert inputs.shape == (5, 3, 8, 8)
    got = [s.gt_cls_label.tolist() for s in samples]
    assert got == labels + [labels[0], labels[2]]
    assert [s.metainfo.get('destructed', False) for s in samples] == [False] * 3 + [True] * 2
    mean = torch.tensor([10.0, 20.0, 30.0])[:, None, None]
    for twin, normalised in zip(twins, inputs[3:]):
        expected = (twin[[2, 1, 0]].float() - mean) / 2.0
        assert torch.allclose(normalised, expected)
    # twins and originals differ only in the order of their pixels
    assert not torch.equal(inputs[3], inputs[0])
    assert torch.equal(inputs[3].flatten().sort().values, inputs[0].flatten().sort().values)
    # pixel-level fields are copied as they are, never shuffled
    assert torch.equal(samples[3].gt_saliency.data, sal)
    assert all('img_destructed' not in s for s in samples)


def test_inference_drops_the_twins():
    batch = make_batch([[1, 0, 0], [0, 1, 0]], [True, True])
    plain = make_batch([[1, 0, 0], [0, 1, 0]], [False, False])
    out = build()(batch, training=False)
    ref = build()(plain, training=False)
    assert out['inputs'].shape == (2, 3, 8, 8)
    assert torch.equal(out['inputs'], ref['inputs'])
    assert all('img_destructed' not in s for s in out['data_samples'])


def test_without_twins_it_is_mmseg_preprocessing():
    batch = make_batch([[1, 0, 0], [0, 1, 0]], [False, False])
    out = build()(batch, training=True)
    assert out['inputs'].shape == (2, 3, 8, 8)
    assert len(out['data_samples']) == 2
