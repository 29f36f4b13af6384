# Copyright (c) mmwsss contributors. All rights reserved.
from .color_jitter import ColorJitter
from .formatting import PackWSSSInputs
from .image_level_labels import LoadImageLevelLabels
from .localization_maps import LoadLocalizationMaps
from .saliency import LoadSaliencyMap

__all__ = ['ColorJitter', 'LoadImageLevelLabels', 'LoadLocalizationMaps', 'LoadSaliencyMap',
           'PackWSSSInputs']
