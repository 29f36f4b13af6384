# Copyright (c) mmwsss contributors. All rights reserved.
"""mIoU of localization maps over a sweep of background thresholds (how WSSS papers score seeds)."""

from typing import Any, List, Optional, Sequence

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

__all__ = ['CAMThresholdSweepMetric']

_NAME = 'CAMThresholdSweepMetric'


def _default_thresholds() -> List[float]:
    return [round(0.05 * step, 2) for step in range(20)]  # 0.00 .. 0.95


def _threshold_names(thresholds: Sequence[float]) -> List[str]:
    """Shortest fixed-point names (at least 2 decimals) that stay unique."""
    for decimals in range(2, 10):
        names = [f'{t:.{decimals}f}' for t in thresholds]
        if len(set(names)) == len(names):
            return names
    return [repr(t) for t in thresholds]


# Subclasses BaseMetric, not IoUMetric: IoUMetric scores one given label map,
# this metric derives T label maps from the scores and streams their counts.
@METRICS.register_module()
class CAMThresholdSweepMetric(BaseMetric):
    """Localization-map quality at every background threshold of a sweep.

    For each threshold ``t`` the prediction is ``argmax([t, map_1, ...,
    map_K])`` (the background wins ties), i.e. a pixel is labelled with its
    best class where that class scores strictly above ``t``. Per image only
    the intersection / prediction / ground-truth pixel counts per class and
    threshold are kept (sparsely), never the maps, and every image keeps its
    own entry so DDP's padded duplicates are dropped by ``collect_results``.

    It reads, per data sample, ``seg_logits`` (PixelData, float (C, H, W):
    channel 0 the background score, which is ignored here, channels 1..C-1 the
    localization maps) and ``gt_sem_seg`` (PixelData, (1, H, W)); GT pixels
    equal to ``ignore_index`` are skipped.

    Reported (percentages except the threshold; with no ``prefix`` the keys are
    bare):

    - ``mIoU@0.20`` ...: mIoU (background included, classes absent from both
      GT and prediction skipped, as MMSeg's IoUMetric) at every threshold;
    - ``best_mIoU`` and ``best_threshold`` (the lowest one on ties);
    - at the best threshold: ``best_mPrecision`` / ``best_mRecall``, the mean
      over the foreground classes of per-class precision / recall, and
      ``best_fgPrecision`` / ``best_fgRecall``, precision / recall of the
      class-agnostic foreground (any class vs background);
    - with part masks (``gt_part_seg``, e.g. the synthetic benchmark's ``PartMask/``): at the best
      threshold, ``best_partRecall`` (share of discriminative-part pixels labelled with their
      class) and ``best_bodyRecall`` (the same over the object's other pixels), pooled over the
      classes. A sparse localization map (the problem WSSS expansion methods address) has a part
      recall well above its body recall.

    Args:
        thresholds (Sequence[float], optional): Background thresholds.
            Defaults to 0.00, 0.05, ..., 0.95.
        ignore_index (int): GT label to skip. Defaults to 255.
        num_classes (int, optional): C, background included. If given, every
            ``seg_logits`` must have C channels. Defaults to None (take C from
            the data).
        collect_device (str): 'cpu' or 'gpu', for gathering results across
            ranks. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric keys. Defaults to None
            (bare keys).
        collect_dir (str, optional): Directory for collecting results on CPU.
    """

    # '' (not None) gives bare keys without BaseMetric's missing-prefix warning.
    default_prefix: Optional[str] = ''

    def __init__(
        self,
        thresholds: Optional[Sequence[float]] = None,
        ignore_index: int = 255,
        num_classes: Optional[int] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if thresholds is None:
            thresholds = _default_thresholds()
        thresholds = [float(t) for t in thresholds]
        if not thresholds or not np.isfinite(thresholds).all():
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} needs a non-empty list '
                f'of finite thresholds, got {thresholds}.'
            )
        if len(set(thresholds)) != len(thresholds):
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} got repeated thresholds: {thresholds}.'
            )
        if num_classes is not None and num_classes < 2:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} needs num_classes >= 2 '
                f'(background + one class), got {num_classes}.'
            )
        self.thresholds = sorted(thresholds)
        self.ignore_index = ignore_index
        self.num_classes = num_classes

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Count intersection / prediction / GT pixels of every threshold.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Predictions with ``seg_logits`` and
                ``gt_sem_seg``.
        """
        for data_sample in data_samples:
            logits = get_pixel_data(data_sample, 'seg_logits', _NAME)
            gt = get_pixel_data(data_sample, 'gt_sem_seg', _NAME)
            if gt.ndim == 3 and gt.shape[0] == 1:
                gt = gt[0]
            part = get_part_mask(data_sample, gt, _NAME)
            counts, parts = self.count(logits, gt, part)
            self.results.append((pack_counts(counts), parts))

    def count(
        self, logits: torch.Tensor, gt: torch.Tensor, part: Optional[torch.Tensor] = None
    ) -> tuple:
        """Pixel counts of one image at every threshold.

        Args:
            logits (torch.Tensor): float (C, H, W); channels 1.. are the maps.
            gt (torch.Tensor): integer (H, W) or (1, H, W) GT labels.
            part (torch.Tensor, optional): (H, W) part mask (class index on
                part pixels, 0 elsewhere).

        Returns:
            tuple: int64 (3, T, C) intersection, predicted area and GT area of
            every class at every threshold; and, with a part mask, int64
            (4, T) part hits, part pixels, body hits and body pixels at every
            threshold (None without).
        """
        if logits.ndim != 3 or logits.shape[0] < 2:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} expects seg_logits of '
                f'shape (C, H, W) with C >= 2, got {tuple(logits.shape)}.'
            )
        num_classes = logits.shape[0]
        if self.num_classes is not None and num_classes != self.num_classes:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME} was built with '
                f'num_classes={self.num_classes} but seg_logits has '
                f'{num_classes} channels.'
            )
        if gt.ndim == 3 and gt.shape[0] == 1:
            gt = gt[0]
        if tuple(gt.shape) != tuple(logits.shape[1:]):
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: gt_sem_seg has size '
                f'{tuple(gt.shape)} but seg_logits has size '
                f'{tuple(logits.shape[1:])}; predictions must be at the GT '
                'size.'
            )
        gt = gt.to(logits.device).long()
        valid = gt != self.ignore_index
        if part is not None:
            part = part.to(logits.device)[valid]
        gt = gt[valid]
        if gt.numel() and (gt.min() < 0 or gt.max() >= num_classes):
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: gt_sem_seg has labels '
                f'outside 0..{num_classes - 1} other than ignore_index='
                f'{self.ignore_index}.'
            )
        fg_max, fg_arg = logits[1:].float().max(dim=0)
        fg_max, fg_arg = fg_max[valid], fg_arg[valid] + 1
        num_thr = len(self.thresholds)
        thresholds = torch.tensor(self.thresholds, dtype=torch.float32, device=logits.device)
        # Thresholds strictly below a pixel's best score; the pixel is
        # foreground at threshold j exactly when j < above.
        above = torch.searchsorted(thresholds, fg_max.contiguous())

        def histogram(level: torch.Tensor, label: torch.Tensor) -> np.ndarray:
            size = (num_thr + 1) * num_classes
            flat = torch.bincount(level * num_classes + label, minlength=size)
            return flat.reshape(num_thr + 1, num_classes).cpu().numpy()

        def fg_from(hist: np.ndarray) -> np.ndarray:
            # (T, C) pixels with level > j, from the (T+1, C) histogram.
            return np.cumsum(hist[::-1], axis=0)[::-1][1:]

        hit = gt == fg_arg
        pred_fg = fg_from(histogram(above, fg_arg))
        inter_fg = fg_from(histogram(above[hit], fg_arg[hit]))
        bg = gt == 0
        bg_levels = torch.bincount(above[bg], minlength=num_thr + 1)
        inter_bg = np.cumsum(bg_levels.cpu().numpy())[:num_thr]
        label_area = torch.bincount(gt, minlength=num_classes).cpu().numpy()

        counts = np.zeros((3, num_thr, num_classes), dtype=np.int64)
        counts[0] = inter_fg
        counts[0, :, 0] = inter_bg
        counts[1] = pred_fg
        counts[1, :, 0] = gt.numel() - pred_fg[:, 1:].sum(axis=1)
        counts[2] = label_area[None]
        parts = None
        if part is not None:
            on_part = (part > 0) & (gt > 0)
            on_body = (part == 0) & (gt > 0)
            parts = np.zeros((4, num_thr), dtype=np.int64)
            for row, where in ((0, on_part), (2, on_body)):
                levels = above[where & hit]
                hits = torch.bincount(levels, minlength=num_thr + 1).cpu().numpy()
                parts[row] = np.cumsum(hits[::-1])[::-1][1:]
                parts[row + 1] = int(where.sum())
        return counts, parts

    def compute_metrics(self, results: list) -> dict:
        """Compute the sweep from the collected per-image counts.

        Args:
            results (list): ``pack_counts`` outputs of every image.

        Returns:
            dict: The metrics described in the class docstring.
        """
        if not results:
            raise ValueError(f'mmwsss/evaluation/metrics: {_NAME} received no results.')
        parts = [result[1] for result in results if result[1] is not None]
        results = [result[0] for result in results]
        sizes = {result[0] for result in results}
        if len(sizes) != 1:
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: images came with '
                f'different numbers of classes {sorted(sizes)}.'
            )
        num_classes = sizes.pop()
        inter, pred, label = unpack_counts(results, num_classes)
        iou = nan_divide(inter, pred + label - inter)  # (T, C)
        miou = nan_mean(iou, axis=-1)  # (T, )
        if np.isnan(miou).all():
            raise ValueError(
                f'mmwsss/evaluation/metrics: {_NAME}: no GT pixel was valid, nothing to score.'
            )
        best = int(np.nanargmax(miou))
        precision = nan_divide(inter[best], pred[best])
        recall = nan_divide(inter[best], label[best])
        total = label[best].sum()
        fg_hit = total - pred[best, 0] - label[best, 0] + inter[best, 0]
        names = _threshold_names(self.thresholds)

        metrics = {f'mIoU@{name}': float(value) * 100 for name, value in zip(names, miou)}
        metrics.update(
            best_mIoU=float(miou[best]) * 100,
            best_threshold=self.thresholds[best],
            best_mPrecision=float(nan_mean(precision[1:])) * 100,
            best_mRecall=float(nan_mean(recall[1:])) * 100,
            best_fgPrecision=float(nan_divide(fg_hit, total - pred[best, 0])) * 100,
            best_fgRecall=float(nan_divide(fg_hit, total - label[best, 0])) * 100,
        )
        if parts:
            part_counts = np.sum(parts, axis=0)  # (4, T)
            metrics.update(
                best_partRecall=float(nan_divide(part_counts[0, best], part_counts[1, best])) * 100,
                best_bodyRecall=float(nan_divide(part_counts[2, best], part_counts[3, best])) * 100,
            )
        self._log(names, miou, best, iou[best], precision, recall)
        return metrics

    def _log(
        self,
        names: List[str],
        miou: np.ndarray,
        best: int,
        iou: np.ndarray,
        precision: np.ndarray,
        recall: np.ndarray,
    ) -> None:
        """Print the sweep and the per-class scores at the best threshold."""
        sweep = PrettyTable(field_names=['threshold', 'mIoU'])
        for name, value in zip(names, miou):
            sweep.add_row([name, f'{value * 100:.2f}'])
        print_log('CAM threshold sweep:\n' + sweep.get_string(), logger='current')
        per_class = PrettyTable(field_names=['class', 'IoU', 'Precision', 'Recall'])
        for name, row in zip(class_names(self.dataset_meta, len(iou)), zip(iou, precision, recall)):
            per_class.add_row([name] + [f'{v * 100:.2f}' for v in row])
        print_log(
            f'per-class scores at the best threshold {names[best]}:\n' + per_class.get_string(),
            logger='current',
        )
