# Copyright (c) mmwsss contributors. All rights reserved.
import math

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.evaluation import CAMThresholdSweepMetric
from mmwsss.registry import METRICS


def _sample(maps, gt, as_dict=True):
    """maps: list of (H, W) lists for classes 1..; channel 0 is set to 0.99
    everywhere to show it is not used."""
    fg = torch.tensor(maps, dtype=torch.float32)
    logits = torch.cat([torch.full_like(fg[:1], 0.99), fg])
    gt = torch.tensor(gt, dtype=torch.long)[None]
    if as_dict:
        return dict(seg_logits=dict(data=logits), gt_sem_seg=dict(data=gt))
    sample = SegDataSample()
    sample.seg_logits = PixelData(data=logits)
    sample.gt_sem_seg = PixelData(data=gt)
    return sample


# Image A (2 x 3), classes: 0 bg, 1, 2; GT has one ignored pixel.
A_MAPS = [[[0.9, 0.4, 0.1], [0.3, 0.0, 0.6]], [[0.1, 0.45, 0.0], [0.35, 0.0, 0.7]]]
A_GT = [[1, 1, 0], [2, 255, 2]]
# Image B (1 x 2): background only, class 1 scores 0.3.
B_MAPS = [[[0.3, 0.3]], [[0.0, 0.0]]]
B_GT = [[0, 0]]


def test_registered():
    assert METRICS.get('CAMThresholdSweepMetric') is CAMThresholdSweepMetric


def test_single_image_by_hand():
    metric = CAMThresholdSweepMetric(thresholds=[0.5, 0.2])  # sorted inside
    metric.process(None, [_sample(A_MAPS, A_GT)])
    res = metric.compute_metrics(metric.results)
    # t=0.2: pred [[1,2,0],[2,-,2]]: IoU bg 1/1, c1 1/2, c2 2/3
    assert res['mIoU@0.20'] == pytest.approx((1 + 1 / 2 + 2 / 3) / 3 * 100)
    # t=0.5: pred [[1,0,0],[0,-,2]]: IoU bg 1/3, c1 1/2, c2 1/2
    assert res['mIoU@0.50'] == pytest.approx((1 / 3 + 1 / 2 + 1 / 2) / 3 * 100)
    assert res['best_threshold'] == 0.2
    assert res['best_mIoU'] == pytest.approx(res['mIoU@0.20'])
    # at 0.2: precision c1 1/1, c2 2/3; recall c1 1/2, c2 2/2
    assert res['best_mPrecision'] == pytest.approx((1 + 2 / 3) / 2 * 100)
    assert res['best_mRecall'] == pytest.approx((1 / 2 + 1) / 2 * 100)
    # every predicted fg pixel is GT fg and vice versa
    assert res['best_fgPrecision'] == pytest.approx(100)
    assert res['best_fgRecall'] == pytest.approx(100)


def test_two_images_accumulate_and_move_the_best_threshold():
    metric = CAMThresholdSweepMetric(thresholds=[0.2, 0.5])
    metric.process(None, [_sample(A_MAPS, A_GT), _sample(B_MAPS, B_GT)])
    assert len(metric.results) == 2  # one entry per image
    res = metric.compute_metrics(metric.results)
    # t=0.2: bg I1 P1 L3 -> 1/3; c1 I1 P3 L2 -> 1/4; c2 -> 2/3
    assert res['mIoU@0.20'] == pytest.approx((1 / 3 + 1 / 4 + 2 / 3) / 3 * 100)
    # t=0.5: bg I3 P5 L3 -> 3/5; c1 1/2; c2 1/2
    assert res['mIoU@0.50'] == pytest.approx((3 / 5 + 1 / 2 + 1 / 2) / 3 * 100)
    assert res['best_threshold'] == 0.5
    assert res['best_mPrecision'] == pytest.approx(100)
    assert res['best_mRecall'] == pytest.approx(50)
    # fg: 7 valid pixels, pred bg 5, GT bg 3, both bg 3 -> 2 fg hits
    assert res['best_fgPrecision'] == pytest.approx(2 / 2 * 100)
    assert res['best_fgRecall'] == pytest.approx(2 / 4 * 100)


def test_tie_goes_to_background_and_lowest_class():
    metric = CAMThresholdSweepMetric(thresholds=[0.5])
    # pixel 0: map 0.5 == t -> bg; pixel 1: classes 1 and 2 tie at 0.75 -> 1
    metric.process(None, [_sample([[[0.5, 0.75]], [[0.0, 0.75]]], [[0, 1]])])
    res = metric.compute_metrics(metric.results)
    assert res['mIoU@0.50'] == pytest.approx(100)


def test_default_thresholds_and_keys():
    metric = CAMThresholdSweepMetric()
    assert len(metric.thresholds) == 20
    assert metric.thresholds[0] == 0.0 and metric.thresholds[-1] == 0.95
    metric.process(None, [_sample(A_MAPS, A_GT)])
    res = metric.compute_metrics(metric.results)
    keys = [f'mIoU@{0.05 * i:.2f}' for i in range(20)]
    assert all(key in res for key in keys)
    # A's best scores 0.9, 0.45, 0.1, 0.35, 0.7: t in [0.1, 0.35) gives the
    # 0.2 prediction; t=0.00 also labels p02 (0.1) as class 1
    assert res['mIoU@0.15'] == pytest.approx(res['mIoU@0.20'])
    assert res['mIoU@0.00'] < res['mIoU@0.20']
    assert res['best_threshold'] == pytest.approx(0.1)
    assert math.isclose(res['best_mIoU'], max(res[k] for k in keys))


def test_evaluator_with_data_samples_prefix_and_size():
    evaluator = Evaluator(
        METRICS.build(dict(type='CAMThresholdSweepMetric', thresholds=[0.2, 0.5], prefix='cam'))
    )
    evaluator.dataset_meta = dict(classes=('background', 'a', 'b'))
    evaluator.process([_sample(A_MAPS, A_GT, as_dict=False), _sample(B_MAPS, B_GT, as_dict=False)])
    # size=1 drops the second (as DDP padding removal does)
    res = evaluator.evaluate(1)
    assert res['cam/best_threshold'] == 0.2
    assert res['cam/best_mIoU'] == pytest.approx((1 + 1 / 2 + 2 / 3) / 3 * 100)


def test_bad_input_raises():
    with pytest.raises(ValueError, match='repeated'):
        CAMThresholdSweepMetric(thresholds=[0.1, 0.1])
    with pytest.raises(ValueError, match='non-empty'):
        CAMThresholdSweepMetric(thresholds=[])
    metric = CAMThresholdSweepMetric(num_classes=4)
    with pytest.raises(ValueError, match='num_classes=4'):
        metric.process(None, [_sample(A_MAPS, A_GT)])
    metric = CAMThresholdSweepMetric()
    with pytest.raises(ValueError, match='size'):
        metric.process(None, [_sample(A_MAPS, [[0, 0]])])
    with pytest.raises(ValueError, match='outside'):
        metric.process(None, [_sample(A_MAPS, [[1, 1, 7], [0, 0, 0]])])
    with pytest.raises(KeyError, match='seg_logits'):
        metric.process(None, [dict(gt_sem_seg=dict(data=torch.zeros(1, 2)))])


def test_part_and_body_recall_at_the_best_threshold():
    # one object of class 1 over 4 pixels: a part pixel (map 0.9) and three body pixels
    # (0.5, 0.3, 0.1); one background pixel (0.2). Thresholds 0.25 and 0.45.
    maps = [[[0.9, 0.5, 0.3, 0.1, 0.2]]]
    gt = [[1, 1, 1, 1, 0]]
    part = torch.tensor([[[1, 0, 0, 0, 0]]])
    sample = _sample(maps, gt)
    sample['gt_part_seg'] = dict(data=part)
    metric = CAMThresholdSweepMetric(thresholds=[0.25, 0.45], num_classes=2)
    metric.process(None, [sample])
    # at 0.25 three of four object pixels and no background: mIoU (3/4 + 1/2)/2 beats 0.45's
    # (2/4 + 1/3)/2, so 0.25 is best: the part is found, 2 of 3 body pixels
    res = metric.compute_metrics(metric.results)
    assert res['best_threshold'] == 0.25
    assert res['best_partRecall'] == pytest.approx(100.0)
    assert res['best_bodyRecall'] == pytest.approx(100 * 2 / 3)


def test_no_part_keys_without_part_masks():
    metric = CAMThresholdSweepMetric(num_classes=3)
    metric.process(None, [_sample(A_MAPS, A_GT)])
    res = metric.compute_metrics(metric.results)
    assert 'best_partRecall' not in res and 'best_bodyRecall' not in res


def test_a_part_mask_of_another_size_is_refused():
    sample = _sample(A_MAPS, A_GT)
    sample['gt_part_seg'] = dict(data=torch.zeros(1, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match='gt_part_seg has size'):
        CAMThresholdSweepMetric(num_classes=3).process(None, [sample])
