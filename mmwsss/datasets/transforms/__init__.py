# Copyright (c) mmwsss contributors. All rights reserved.
from .formatting import PackWSSSInputs
from .image_level_labels import LoadImageLevelLabels
from .saliency import LoadSaliencyMap

__all__ = ['LoadImageLevelLabels', 'LoadSaliencyMap', 'PackWSSSInputs']
