# Copyright (c) mmwsss contributors. All rights reserved.
from . import metrics  # noqa: F401
from .metrics import CAMThresholdSweepMetric, MultiLabelAPMetric, PseudoLabelMetric

__all__ = ['CAMThresholdSweepMetric', 'MultiLabelAPMetric', 'PseudoLabelMetric']
