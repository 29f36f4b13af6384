# Copyright (c) mmwsss contributors. All rights reserved.
from .color_jitter import ColorJitter
from .formatting import PackWSSSInputs
from .image_level_labels import LoadImageLevelLabels
from .localization_maps import LoadLocalizationMaps
from .part_mask import LoadPartMask
from .saliency import LoadSaliencyMap

__all__ = [
    'ColorJitter',
    'LoadImageLevelLabels',
    'LoadLocalizationMaps',
    'LoadPartMask',
    'LoadSaliencyMap',
    'PackWSSSInputs',
]
