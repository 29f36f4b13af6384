# Copyright (c) mmwsss contributors. All rights reserved.
"""Whether a classifier's maps can light up at all: for every (image, labelled class) pair, the
peak of the raw class activation map. A map whose peak is below zero is empty after the ReLU of the
localization maps, whatever the image-level score says. Used by
``tools/analysis_tools/suppressor_stats.py``."""
import statistics
from dataclasses import dataclass
from typing import Iterable, Tuple

from torch import Tensor

__all__ = ['CAMPeakStats', 'cam_peak_stats', 'format_cam_peak_stats']


@dataclass
class CAMPeakStats:
    """Peaks of the raw maps of the labelled classes.

    Attributes:
        pairs (int): (image, labelled class) pairs seen.
        positive (int): Pairs whose map is above zero somewhere.
        peak_min / peak_median / peak_max (float): Of the per-pair peaks.
    """
    pairs: int
    positive: int
    peak_min: float
    peak_median: float
    peak_max: float


def cam_peak_stats(batches: Iterable[Tuple[Tensor, Tensor]]) -> CAMPeakStats:
    """Peaks of the labelled classes' raw maps.

    Args:
        batches (Iterable[tuple[Tensor, Tensor]]): Raw maps (B, C, h, w) and multi-hot image-level
            labels (B, C) of the same classes.

    Returns:
        CAMPeakStats: Over every labelled pair of every batch.

    Raises:
        ValueError: If the shapes disagree or no image has a label.
    """
    peaks = []
    for cams, labels in batches:
        if cams.dim() != 4 or labels.shape != cams.shape[:2]:
            raise ValueError(f'maps {tuple(cams.shape)} and labels {tuple(labels.shape)} do not '
                             'match: expected (B, C, h, w) and (B, C)')
        per_class = cams.flatten(2).amax(dim=2)  # (B, C)
        peaks += per_class[labels.bool()].tolist()
    if not peaks:
        raise ValueError('no labelled (image, class) pair among the images')
    return CAMPeakStats(
        pairs=len(peaks), positive=sum(p > 0 for p in peaks), peak_min=min(peaks),
        peak_median=statistics.median(peaks), peak_max=max(peaks))


def format_cam_peak_stats(stats: CAMPeakStats) -> str:
    """One line: how many labelled maps can light up, and the spread of their peaks."""
    return (f'raw maps of the labelled classes: {stats.positive}/{stats.pairs} above zero somewhere; '
            f'peak min {stats.peak_min:.3f}, median {stats.peak_median:.3f}, '
            f'max {stats.peak_max:.3f}')
