# Copyright (c) mmwsss contributors. All rights reserved.
"""Destruction learning for WSSS: the Low-Level Destruction Module (a data
transform, its packing and the batch step) and the Mid-Level
Distribution-and-Collection Module (a backbone wrapper).

Importing this package registers ``LowLevelDestruction`` and
``PackDestructionInputs`` (TRANSFORMS), ``DestructionDataPreProcessor`` and
``MDCMBackbone`` (MODELS) in MMSeg's registries; configs import it with
``custom_imports=dict(imports=['mmwsss',
'projects.destruction_learning.destruction_learning'])``.
"""

from .destruction_data_preprocessor import DestructionDataPreProcessor
from .low_level_destruction import LowLevelDestruction
from .mdcm import AGGREGATIONS, MDCMBackbone
from .pack_destruction_inputs import PackDestructionInputs
from .region_confusion import destruct_image, region_confusion_permutation
from .staged_backbone import ADAPTERS, StagedBackbone, staged

__all__ = [
    'LowLevelDestruction',
    'PackDestructionInputs',
    'DestructionDataPreProcessor',
    'MDCMBackbone',
    'AGGREGATIONS',
    'region_confusion_permutation',
    'destruct_image',
    'StagedBackbone',
    'staged',
    'ADAPTERS',
]
