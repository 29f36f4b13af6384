# Copyright (c) mmwsss contributors. All rights reserved.
"""Multi-label mean average precision of image-level class scores."""

from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from prettytable import PrettyTable

from mmwsss.registry import METRICS
from ._utils import class_names, get_field, nan_mean

__all__ = ['MultiLabelAPMetric', 'average_precision']

_NAME = 'MultiLabelAPMetric'


def average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Non-interpolated average precision of one class.

    ``AP = sum_n (R_n - R_(n-1)) * P_n`` over the distinct score thresholds,
    from the highest down; images with equal scores enter together, so the
    result does not depend on their order. Without ties it equals the mean of
    the precision at the rank of every positive (mmpretrain's formula).

    Args:
        scores (np.ndarray): float (N, ) scores.
        targets (np.ndarray): (N, ) 0/1 labels.

    Returns:
        float: AP in [0, 1]; NaN when there is no positive.
    """
    num_pos = int(targets.sum())
    if num_pos == 0:
        return float('nan')
    order = np.argsort(-scores, kind='stable')
    scores, targets = scores[order], targets[order]
    # last index of every run of equal scores
    ends = np.flatnonzero(np.diff(scores)) if scores.size > 1 else np.zeros(0, dtype=np.int64)
    ends = np.append(ends, scores.size - 1)
    true_pos = np.cumsum(targets)[ends]
    precision = true_pos / (ends + 1)
    recall = true_pos / num_pos
    recall_step = np.diff(np.concatenate([[0.0], recall]))
    return float((recall_step * precision).sum())


# Subclasses BaseMetric; mmpretrain's AveragePrecision would fit, but it counts
# classes without positives as AP 0 and breaks ties by sort order (and this
# keeps the metric free of an mmpretrain import).
@METRICS.register_module()
class MultiLabelAPMetric(BaseMetric):
    """Multi-label mAP of ``pred_score`` against ``gt_cls_label``.

    It reads, per data sample, ``pred_score`` (float (K, ), e.g. sigmoid of
    the classifier logits) and ``gt_cls_label`` (float (K, ) multi-hot), with K
    the number of foreground classes. AP per class as in
    :func:`average_precision`; ``mAP`` (percent) is the mean over the classes
    that have at least one positive image (the others have no AP). With
    ``classwise=True`` the per-class APs are returned too, as ``AP_classwise``
    (a list, NaN for classes without positives).

    Args:
        classwise (bool): Also return the per-class APs. Defaults to False.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to 'multi-label'.
        collect_dir (str, optional): Directory for collecting results on CPU.
    """

    default_prefix: Optional[str] = 'multi-label'

    def __init__(
        self,
        classwise: bool = False,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.classwise = classwise

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep the scores and labels of every image.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Predictions with ``pred_score`` and
                ``gt_cls_label``.
        """
        for data_sample in data_samples:
            scores = get_field(data_sample, 'pred_score', _NAME)
            labels = get_field(data_sample, 'gt_cls_label', _NAME)
            scores = np.asarray(_to_numpy(scores), dtype=np.float64)
            labels = np.asarray(_to_numpy(labels), dtype=np.float64)
            if scores.ndim != 1 or scores.shape != labels.shape:
                raise ValueError(
                    f'mmwsss/evaluation/metrics: {_NAME}: pred_score has '
                    f'shape {scores.shape} and gt_cls_label {labels.shape}; '
                    'both must be (num_classes - 1, ).'
                )
            if not np.isin(labels, (0.0, 1.0)).all():
                raise ValueError(
                    f'mmwsss/evaluation/metrics: {_NAME}: gt_cls_label must '
                    f'be multi-hot 0/1, got {labels}.'
                )
            self.results.append((scores, labels))

    def compute_metrics(self, results: list) -> dict:
        """Compute mAP over the collected images.

        Args:
            results (list): ``(scores, labels)`` per image.

        Returns:
            dict: ``mAP`` (and ``AP_classwise`` with ``classwise=True``).
        """
        if not results:
            raise ValueError(f'mmwsss/evaluation/metrics: {_NAME} received no results.')
        sizes = {result[0].shape for result in results}
        if len(sizes) != 1:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: images '
                f'came with different class counts {sizes}.'
            )
        scores = np.stack([result[0] for result in results])
        labels = np.stack([result[1] for result in results])
        ap = np.array(
            [average_precision(scores[:, k], labels[:, k]) for k in range(scores.shape[1])]
        )
        metrics = dict(mAP=float(nan_mean(ap)) * 100)
        if self.classwise:
            metrics['AP_classwise'] = [float(v) * 100 for v in ap]

        names = class_names(self.dataset_meta, len(ap) + 1)[1:]
        table = PrettyTable(field_names=['class', 'AP'])
        for name, value in zip(names, ap):
            table.add_row([name, f'{value * 100:.2f}'])
        print_log('per-class average precision:\n' + table.get_string(), logger='current')
        return metrics


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):
        return value.detach().cpu().numpy()
    return np.asarray(value)
