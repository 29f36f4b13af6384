# Copyright (c) mmwsss contributors. All rights reserved.
from .cam_threshold_sweep_metric import CAMThresholdSweepMetric
from .multilabel_ap_metric import MultiLabelAPMetric, average_precision
from .pseudo_label_metric import PseudoLabelMetric

__all__ = [
    'CAMThresholdSweepMetric',
    'MultiLabelAPMetric',
    'PseudoLabelMetric',
    'average_precision',
]
