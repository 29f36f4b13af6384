# Copyright (c) mmwsss contributors. All rights reserved.
from .drs_resnet import DRSResNetV1c
from .drs_vgg import DRSVGG

__all__ = ['DRSVGG', 'DRSResNetV1c']
