# Copyright (c) mmwsss contributors. All rights reserved.
"""Tiny MainSupportCAMClassifier configs and batches for the pixel self-supervision tests."""

import copy
from typing import List, Sequence

import torch
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
import projects.pixel_self_supervision.pixel_self_supervision  # noqa: F401  (registers it)
from mmwsss.registry import MODELS

NUM_FG = 3
TINY = dict(
    type='MainSupportCAMClassifier',
    backbone=dict(type='DRSVGG', widen_factor=0.0625, act_cfg=dict(type='ReLU')),
    decode_head=dict(
        type='CAMHead',
        num_classes=NUM_FG,
        in_channels=32,
        channels=8,
        num_convs=1,
        act_cfg=dict(type='ReLU'),
    ),
    rcm=dict(type='RegionalContrastiveModule', fg_threshold=0.3, bg_threshold=0.1),
    mam=dict(type='MultiScaleAttentiveModule', scales=(0.5, 1.0, 1.5)),
)


def build(**overrides):
    """A tiny model (DRSVGG x1/16, 3 classes) with ``overrides`` on the config."""
    init_default_scope('mmseg')
    cfg = copy.deepcopy(TINY)
    cfg.update(overrides)
    return MODELS.build(cfg)


def batch(labels: Sequence[Sequence[int]] = ((1, 0, 1), (0, 1, 0)), size: int = 32):
    """Random images (B, 3, size, size) and data samples with ``gt_cls_label``."""
    samples: List[SegDataSample] = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_cls_label = torch.tensor(label, dtype=torch.float32)
        samples.append(sample)
    return torch.randn(len(samples), 3, size, size), samples
