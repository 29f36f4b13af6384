# Copyright (c) mmwsss contributors. All rights reserved.
"""Quality of pseudo labels that leave pixels unlabelled (255 = ignore)."""

from typing import Any, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from prettytable import PrettyTable

from mmwsss.registry import METRICS
from ._utils import (
    class_names,
    get_part_mask,
    get_pixel_data,
    nan_divide,
    nan_mean,
    pack_counts,
    unpack_counts,
)

__all__ = ['PseudoLabelMetric']

_NAME = 'PseudoLabelMetric'


# Subclasses BaseMetric, not IoUMetric: IoUMetric drops predicted ignore pixels
# from its counts, and this metric exists to count them.
@METRICS.register_module()
class PseudoLabelMetric(BaseMetric):
    """Scores label maps that may leave pixels unlabelled.

    It reads, per data sample, ``pred_sem_seg`` (PixelData, (1, H, W), values
    0..C-1 or ``pred_ignore_index``) and ``gt_sem_seg`` (PixelData, (1, H,
    W)); GT pixels equal to ``ignore_index`` are left out of everything except
    ``ignore_ratio``. With, per class c, TP = pixels labelled c with GT c,
    P = pixels labelled c, G = GT pixels of c, and G_lab = GT pixels of c that
    got a label (all over valid GT):

    - ``mIoU``: mean of TP / (P + G_lab - TP), the IoU over labelled pixels
      only (what a segmentation net trained with ignore actually learns from);
    - ``mIoU_strict``: mean of TP / (P + G - TP), unlabelled pixels count as
      misses (MMSeg's IoUMetric gives this number);
    - ``mPrecision``: mean of TP / P;
    - ``mRecall``: mean of TP / G, unlabelled pixels count as misses;
    - ``ignore_ratio``: unlabelled pixels / all pixels of the label maps
      (GT ignore regions included: it describes the label maps);
    - with part masks (``gt_part_seg``): ``partRecall`` / ``bodyRecall``, the
      share of discriminative-part / other object pixels labelled with their
      class, pooled over the classes.

    Means run over all C classes (background included) and skip classes whose
    denominator is 0, as MMSeg's IoUMetric does. All values are percentages.

    Args:
        num_classes (int, optional): C, background included. Defaults to None:
            taken from ``dataset_meta['classes']``.
        ignore_index (int): GT label to skip. Defaults to 255.
        pred_ignore_index (int): Prediction label meaning "no label".
            Defaults to 255.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to 'pseudo_label'.
        collect_dir (str, optional): Directory for collecting results on CPU.
    """

    default_prefix: Optional[str] = 'pseudo_label'

    def __init__(
        self,
        num_classes: Optional[int] = None,
        ignore_index: int = 255,
        pred_ignore_index: int = 255,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if num_classes is not None and num_classes < 1:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} needs num_classes >= 1, got {num_classes}.'
            )
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.pred_ignore_index = pred_ignore_index

    def _get_num_classes(self) -> int:
        if self.num_classes is not None:
            return self.num_classes
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} cannot tell the number '
                'of classes: pass num_classes or run it with a dataset whose '
                "metainfo has 'classes'."
            )
        return len(classes)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Count the per-class pixels of each label map.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Predictions with ``pred_sem_seg``
                and ``gt_sem_seg``.
        """
        num_classes = self._get_num_classes()
        for data_sample in data_samples:
            pred = get_pixel_data(data_sample, 'pred_sem_seg', _NAME)
            gt = get_pixel_data(data_sample, 'gt_sem_seg', _NAME)
            counts, ignored, total = self.count(pred, gt, num_classes)
            gt2d = gt[0] if gt.ndim == 3 and gt.shape[0] == 1 else gt
            part = get_part_mask(data_sample, gt2d, _NAME)
            parts = None if part is None else self.count_parts(pred, gt2d, part)
            self.results.append((pack_counts(counts), ignored, total, parts))

    def count_parts(self, pred: torch.Tensor, gt: torch.Tensor, part: torch.Tensor) -> np.ndarray:
        """Part hits, part pixels, body hits and body pixels of one label map.

        Args:
            pred (torch.Tensor): integer (H, W) or (1, H, W) labels.
            gt (torch.Tensor): integer (H, W) GT labels.
            part (torch.Tensor): (H, W) part mask (class index on part pixels).

        Returns:
            np.ndarray: int64 (4, ).
        """
        pred = (pred[0] if pred.ndim == 3 else pred).to(gt.device).long()
        gt = gt.long()
        hit = pred == gt
        obj = (gt > 0) & (gt != self.ignore_index)
        on_part = (part > 0) & obj
        on_body = (part == 0) & obj
        return np.array(
            [
                (on_part & hit).sum().item(),
                on_part.sum().item(),
                (on_body & hit).sum().item(),
                on_body.sum().item(),
            ],
            np.int64,
        )

    def count(self, pred: torch.Tensor, gt: torch.Tensor, num_classes: int) -> tuple:
        """Pixel counts of one label map.

        Args:
            pred (torch.Tensor): integer (H, W) or (1, H, W) labels.
            gt (torch.Tensor): integer (H, W) or (1, H, W) GT labels.
            num_classes (int): C.

        Returns:
            tuple: int64 (4, C) array of TP, P, G_lab, G per class; the number
            of unlabelled pixels; the number of pixels.
        """
        if pred.ndim == 3 and pred.shape[0] == 1:
            pred = pred[0]
        if gt.ndim == 3 and gt.shape[0] == 1:
            gt = gt[0]
        if pred.ndim != 2 or tuple(pred.shape) != tuple(gt.shape):
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: pred_sem_seg has shape '
                f'{tuple(pred.shape)} and gt_sem_seg {tuple(gt.shape)}; both '
                'must be (1, H, W) of the same size.'
            )
        if pred.is_floating_point() or gt.is_floating_point():
            raise TypeError(f'mmwsss/evaluation/metrics: {_NAME} expects integer label maps.')
        pred = pred.long()
        gt = gt.to(pred.device).long()
        labelled = pred != self.pred_ignore_index
        valid = gt != self.ignore_index
        for name, labels in (('pred_sem_seg', pred[labelled]), ('gt_sem_seg', gt[valid])):
            if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
                raise ValueError(
                    f'mmwsss/evaluation/metrics: {_NAME}: {name} has labels '
                    f'outside 0..{num_classes - 1} and its ignore index.'
                )

        def area(labels: torch.Tensor) -> np.ndarray:
            return torch.bincount(labels, minlength=num_classes).cpu().numpy()

        both = labelled & valid
        counts = np.stack(
            [
                area(pred[both & (pred == gt)]),
                area(pred[both]),
                area(gt[both]),
                area(gt[valid]),
            ]
        ).astype(np.int64)
        return counts, int((~labelled).sum()), int(pred.numel())

    def compute_metrics(self, results: list) -> dict:
        """Compute the metrics from the collected per-image counts.

        Args:
            results (list): ``(packed counts, unlabelled, pixels)`` per image.

        Returns:
            dict: ``mIoU``, ``mIoU_strict``, ``mPrecision``, ``mRecall`` and
            ``ignore_ratio``.
        """
        if not results:
            raise ValueError(f'mmwsss/evaluation/metrics: {_NAME} received no results.')
        num_classes = results[0][0][0]
        hit, pred, gt_labelled, gt = unpack_counts([result[0] for result in results], num_classes)
        ignored = sum(result[1] for result in results)
        total = sum(result[2] for result in results)

        iou = nan_divide(hit, pred + gt_labelled - hit)
        iou_strict = nan_divide(hit, pred + gt - hit)
        precision = nan_divide(hit, pred)
        recall = nan_divide(hit, gt)
        metrics = dict(
            mIoU=float(nan_mean(iou)) * 100,
            mIoU_strict=float(nan_mean(iou_strict)) * 100,
            mPrecision=float(nan_mean(precision)) * 100,
            mRecall=float(nan_mean(recall)) * 100,
            ignore_ratio=float(nan_divide(ignored, total)) * 100,
        )
        parts = [result[3] for result in results if len(result) > 3 and result[3] is not None]
        if parts:
            part_hit, part_px, body_hit, body_px = np.sum(parts, axis=0)
            metrics.update(
                partRecall=float(nan_divide(part_hit, part_px)) * 100,
                bodyRecall=float(nan_divide(body_hit, body_px)) * 100,
            )

        table = PrettyTable(
            field_names=['class', 'IoU (labelled)', 'IoU (strict)', 'Precision', 'Recall']
        )
        for name, row in zip(
            class_names(self.dataset_meta, num_classes), zip(iou, iou_strict, precision, recall)
        ):
            table.add_row([name] + [f'{v * 100:.2f}' for v in row])
        print_log(
            f'pseudo-label quality per class ({metrics["ignore_ratio"]:.2f}% '
            'of pixels unlabelled):\n' + table.get_string(),
            logger='current',
        )
        return metrics
