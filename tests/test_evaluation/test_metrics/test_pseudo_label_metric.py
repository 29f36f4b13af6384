# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.evaluation import PseudoLabelMetric
from mmwsss.registry import METRICS

# C = 3. Pixels a..h (row-major); GT ignores g; the labels leave b, f, h out.
GT = [[0, 0, 1, 1], [2, 2, 255, 1]]
PRED = [[0, 255, 1, 2], [2, 255, 1, 255]]
# valid GT: a(0->0 hit) b(0->none) c(1->1 hit) d(1->2) e(2->2 hit)
#           f(2->none) h(1->none);  g is GT-ignored (labelled 1)
# TP = [1, 1, 1]; P = [1, 1, 2]; G_lab = [1, 2, 1]; G = [2, 3, 2]
MIOU = (1 / 1 + 1 / 2 + 1 / 2) / 3 * 100
MIOU_STRICT = (1 / 2 + 1 / 3 + 1 / 3) / 3 * 100
PRECISION = (1 + 1 + 1 / 2) / 3 * 100
RECALL = (1 / 2 + 1 / 3 + 1 / 2) / 3 * 100
IGNORE_RATIO = 3 / 8 * 100


def _sample(pred, gt, as_dict=True):
    pred = torch.tensor(pred, dtype=torch.long)[None]
    gt = torch.tensor(gt, dtype=torch.long)[None]
    if as_dict:
        return dict(pred_sem_seg=dict(data=pred), gt_sem_seg=dict(data=gt))
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=pred)
    sample.gt_sem_seg = PixelData(data=gt)
    return sample


def test_registered():
    assert METRICS.get('PseudoLabelMetric') is PseudoLabelMetric


def test_by_hand():
    metric = PseudoLabelMetric(num_classes=3)
    metric.process(None, [_sample(PRED, GT)])
    res = metric.compute_metrics(metric.results)
    assert res['mIoU'] == pytest.approx(MIOU)
    assert res['mIoU_strict'] == pytest.approx(MIOU_STRICT)
    assert res['mPrecision'] == pytest.approx(PRECISION)
    assert res['mRecall'] == pytest.approx(RECALL)
    assert res['ignore_ratio'] == pytest.approx(IGNORE_RATIO)


def test_strict_miou_is_what_mmseg_reports():
    iou_metric = IoUMetric()
    iou_metric.dataset_meta = dict(classes=('bg', 'a', 'b'))
    iou_metric.process(None, [_sample(PRED, GT)])
    mmseg_miou = iou_metric.compute_metrics(iou_metric.results)['mIoU']
    assert mmseg_miou == pytest.approx(MIOU_STRICT, abs=0.01)


def test_absent_class_is_skipped_and_images_accumulate():
    metric = PseudoLabelMetric(num_classes=4)  # class 3 never appears
    # second image: all labelled and right, background only
    metric.process(None, [_sample(PRED, GT), _sample([[0, 0]], [[0, 0]])])
    res = metric.compute_metrics(metric.results)
    # bg now: TP 3, P 3, G_lab 3, G 4
    assert res['mIoU'] == pytest.approx((1 + 1 / 2 + 1 / 2) / 3 * 100)
    assert res['mIoU_strict'] == pytest.approx((3 / 4 + 1 / 3 + 1 / 3) / 3 * 100)
    assert res['mRecall'] == pytest.approx((3 / 4 + 1 / 3 + 1 / 2) / 3 * 100)
    assert res['ignore_ratio'] == pytest.approx(3 / 10 * 100)


def test_evaluator_reads_classes_from_dataset_meta():
    evaluator = Evaluator(METRICS.build(dict(type='PseudoLabelMetric')))
    evaluator.dataset_meta = dict(classes=('bg', 'a', 'b'))
    evaluator.process([_sample(PRED, GT, as_dict=False)])
    res = evaluator.evaluate(1)
    assert res['pseudo_label/mIoU'] == pytest.approx(MIOU)
    assert res['pseudo_label/ignore_ratio'] == pytest.approx(IGNORE_RATIO)


def test_bad_input_raises():
    metric = PseudoLabelMetric()
    with pytest.raises(ValueError, match='num_classes'):
        metric.process(None, [_sample(PRED, GT)])
    metric = PseudoLabelMetric(num_classes=2)
    with pytest.raises(ValueError, match='pred_sem_seg has labels outside'):
        metric.process(None, [_sample(PRED, GT)])
    with pytest.raises(ValueError, match='same size'):
        metric.process(None, [_sample([[0, 1]], [[0]])])
    with pytest.raises(TypeError, match='integer'):
        metric.process(
            None,
            [
                dict(
                    pred_sem_seg=dict(data=torch.zeros(1, 1, 2)),
                    gt_sem_seg=dict(data=torch.zeros(1, 1, 2)),
                )
            ],
        )


def test_part_and_body_recall_of_labels():
    # object pixels of class 1: c, d, h (g is GT-ignored); c is the part
    sample = _sample(PRED, GT)
    sample['gt_part_seg'] = dict(data=torch.tensor([[[0, 0, 1, 0], [0, 0, 0, 0]]]))
    metric = PseudoLabelMetric(num_classes=3)
    metric.process(None, [sample])
    res = metric.compute_metrics(metric.results)
    assert res['partRecall'] == pytest.approx(100.0)  # c labelled 1
    # body: d (1 -> 2), e (2 -> 2 hit), f (2 -> none), h (1 -> none); g ignored
    assert res['bodyRecall'] == pytest.approx(100 * 1 / 4)
    plain = PseudoLabelMetric(num_classes=3)
    plain.process(None, [_sample(PRED, GT)])
    assert 'partRecall' not in plain.compute_metrics(plain.results)
