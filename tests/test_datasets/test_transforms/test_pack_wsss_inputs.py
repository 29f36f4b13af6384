# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmseg.models import SegDataPreProcessor
from mmseg.structures import SegDataSample

from mmwsss.datasets.transforms import PackWSSSInputs


def make_results(flip_view=False):
    sal = np.arange(20, dtype=np.uint8).reshape(4, 5)
    if flip_view:
        sal = sal[:, ::-1]  # a negatively strided view, as after a flip
    return dict(
        img=np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8),
        img_path='a.jpg',
        img_id='a',
        ori_shape=(4, 5),
        img_shape=(4, 5),
        gt_seg_map=np.ones((4, 5), np.uint8),
        gt_cls_label=np.array([0, 1, 1], np.float32),
        gt_saliency=sal,
    )


@pytest.mark.parametrize('flip_view', [False, True])
def test_pack(flip_view):
    results = make_results(flip_view)
    packed = PackWSSSInputs()(results)
    sample = packed['data_samples']
    assert isinstance(sample, SegDataSample)
    assert packed['inputs'].shape == (3, 4, 5)
    assert sample.gt_cls_label.dtype == torch.float32 and sample.gt_cls_label.shape == (3,)
    assert sample.gt_cls_label.tolist() == [0, 1, 1]
    sal = sample.gt_saliency.data
    assert sal.dtype == torch.uint8 and sal.shape == (1, 4, 5)
    assert np.array_equal(sal[0].numpy(), results['gt_saliency'])
    assert sample.gt_sem_seg.data.shape == (1, 4, 5)  # MMSeg's own packing still happens
    assert sample.metainfo['img_id'] == 'a' and sample.metainfo['img_path'] == 'a.jpg'


def test_pack_without_wsss_keys():
    results = make_results()
    del results['gt_cls_label'], results['gt_saliency']
    sample = PackWSSSInputs()(results)['data_samples']
    assert 'gt_cls_label' not in sample and 'gt_saliency' not in sample


def test_bad_shapes():
    results = make_results()
    results['gt_cls_label'] = np.zeros((1, 3), np.float32)
    with pytest.raises(ValueError, match=r'gt_cls_label of a\.jpg must be 1-D'):
        PackWSSSInputs()(results)


def test_fields_survive_batching_and_preprocessing():
    batch = pseudo_collate([PackWSSSInputs()(make_results()), PackWSSSInputs()(make_results())])
    pre = SegDataPreProcessor(mean=[0, 0, 0], std=[1, 1, 1], size=(4, 5))
    out = pre(batch, training=True)
    assert out['inputs'].shape == (2, 3, 4, 5)
    labels = torch.stack([s.gt_cls_label for s in out['data_samples']])
    assert labels.shape == (2, 3) and labels.sum() == 4
    assert out['data_samples'][1].gt_saliency.data.shape == (1, 4, 5)
