# Copyright (c) mmwsss contributors. All rights reserved.
from . import metrics  # noqa: F401  (registers the metrics)
from .metrics import CAMThresholdSweepMetric, MultiLabelAPMetric, PseudoLabelMetric

__all__ = ['CAMThresholdSweepMetric', 'MultiLabelAPMetric', 'PseudoLabelMetric']
