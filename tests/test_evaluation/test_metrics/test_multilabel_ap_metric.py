# Copyright (c) mmwsss contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.evaluation.metrics import MultiLabelAPMetric, average_precision
from mmwsss.registry import METRICS

# 4 images x 4 foreground classes.
SCORES = [[0.9, 0.2, 0.5, 0.3], [0.8, 0.7, 0.5, 0.2], [0.3, 0.6, 0.5, 0.1], [0.1, 0.4, 0.1, 0.0]]
LABELS = [[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
# class 1: ranks 1(+) 2(-) 3(+) 4(-): precision at positives 1, 2/3
# class 2: its only positive ranks first -> 1
# class 3: three images tie at 0.5, one positive among them -> 1/3 (whatever
#          the order inside the tie)
# class 4: no positive -> no AP, left out of the mean
AP = [(1 + 2 / 3) / 2, 1.0, 1 / 3]
MAP = sum(AP) / 3 * 100


def _samples(as_dict=True):
    samples = []
    for scores, labels in zip(SCORES, LABELS):
        scores = torch.tensor(scores)
        labels = torch.tensor(labels, dtype=torch.float32)
        if as_dict:
            samples.append(dict(pred_score=scores, gt_cls_label=labels))
        else:
            sample = SegDataSample()
            sample.set_data(dict(pred_score=scores, gt_cls_label=labels))
            samples.append(sample)
    return samples


def test_registered():
    assert METRICS.get('MultiLabelAPMetric') is MultiLabelAPMetric


def test_average_precision_by_hand():
    scores, labels = np.array(SCORES), np.array(LABELS)
    for k, expected in enumerate(AP):
        assert average_precision(scores[:, k], labels[:, k]) == pytest.approx(expected)
    assert math.isnan(average_precision(scores[:, 3], labels[:, 3]))
    # the tie result does not depend on the order of the tied images
    order = [2, 1, 0, 3]
    assert average_precision(scores[order, 2], labels[order, 2]) == pytest.approx(1 / 3)


def test_metric_by_hand_with_classwise():
    metric = MultiLabelAPMetric(classwise=True)
    metric.process(None, _samples())
    res = metric.compute_metrics(metric.results)
    assert res['mAP'] == pytest.approx(MAP)
    assert res['AP_classwise'][:3] == pytest.approx([v * 100 for v in AP])
    assert math.isnan(res['AP_classwise'][3])


def test_evaluator_with_data_samples():
    evaluator = Evaluator(METRICS.build(dict(type='MultiLabelAPMetric')))
    evaluator.dataset_meta = dict(classes=('bg', 'a', 'b', 'c', 'd'))
    evaluator.process(_samples(as_dict=False))
    res = evaluator.evaluate(4)
    assert list(res) == ['multi-label/mAP']
    assert res['multi-label/mAP'] == pytest.approx(MAP)


def test_matches_mmpretrain_without_ties():
    multi_label = pytest.importorskip('mmpretrain.evaluation.metrics')
    rng = np.random.default_rng(0)
    scores = rng.random((12, 5))
    labels = (rng.random((12, 5)) < 0.4).astype(np.float64)
    labels[0] = 1  # every class has a positive
    metric = MultiLabelAPMetric()
    metric.process(
        None,
        [
            dict(pred_score=torch.tensor(s), gt_cls_label=torch.tensor(t))
            for s, t in zip(scores, labels)
        ],
    )
    ours = metric.compute_metrics(metric.results)['mAP']
    theirs = multi_label.AveragePrecision.calculate(
        torch.tensor(scores), torch.tensor(labels)
    ).item()
    assert ours == pytest.approx(theirs, rel=1e-5)


def test_bad_input_raises():
    metric = MultiLabelAPMetric()
    with pytest.raises(ValueError, match='shape'):
        metric.process(None, [dict(pred_score=torch.zeros(3), gt_cls_label=torch.zeros(4))])
    with pytest.raises(ValueError, match='multi-hot'):
        metric.process(None, [dict(pred_score=torch.zeros(2), gt_cls_label=torch.tensor([2.0, 0]))])
    with pytest.raises(KeyError, match='gt_cls_label'):
        metric.process(None, [dict(pred_score=torch.zeros(2))])
