# Copyright (c) mmwsss contributors. All rights reserved.
from .drs_vgg import DRSVGG

__all__ = ['DRSVGG']
