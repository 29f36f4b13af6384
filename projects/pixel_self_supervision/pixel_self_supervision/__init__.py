# Copyright (c) mmwsss contributors. All rights reserved.
"""Pixel-level self-supervision (MainNet/SupportNet with RCM and MAM) as an mmwsss project.

Importing this package registers its modules; configs do it with ``custom_imports=dict(imports=[
'mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'])``.
"""

from .ema import ema_update_
from .main_support_classifier import SUPPORT_MODES, MainSupportCAMClassifier, load_cam_weights
from .multiscale_attentive import (
    MultiScaleAttentiveModule,
    attentive_loss,
    fuse_maps,
    normalized_maps,
)
from .regional_contrastive import (
    RegionalContrastiveModule,
    class_region_masks,
    masked_prototypes,
    pixel_contrastive_loss,
)
from .support_ema_hook import SupportNetEMAHook

__all__ = [
    'MainSupportCAMClassifier',
    'SUPPORT_MODES',
    'load_cam_weights',
    'RegionalContrastiveModule',
    'class_region_masks',
    'masked_prototypes',
    'pixel_contrastive_loss',
    'MultiScaleAttentiveModule',
    'attentive_loss',
    'fuse_maps',
    'normalized_maps',
    'SupportNetEMAHook',
    'ema_update_',
]
