# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOL (Expansion and Shrinkage of Localization, NeurIPS 2022) on mmwsss.

Importing this package registers its modules into MMSeg's registries; configs load it with
``custom_imports=dict(imports=['mmwsss', 'projects.esol.esol'])`` from the repository root.
"""

from .area_loss import ESOLAreaLoss, normalised_area
from .deform_sampler import (
    DeformableSampler,
    ESOLExpansionSampler,
    ESOLShrinkageSampler,
    deformable_conv,
    fixed_sampler_weight,
)
from .esol_classifier import ESOLClassifier
from .feature_clip import FeatureClip
from .grad_reverse import GradientReversal, reverse_grad

__all__ = [
    'ESOLAreaLoss',
    'normalised_area',
    'DeformableSampler',
    'ESOLExpansionSampler',
    'ESOLShrinkageSampler',
    'deformable_conv',
    'fixed_sampler_weight',
    'ESOLClassifier',
    'FeatureClip',
    'GradientReversal',
    'reverse_grad',
]
