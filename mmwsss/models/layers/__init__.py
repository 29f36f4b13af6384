# Copyright (c) mmwsss contributors. All rights reserved.
from .activation import accepts_channels, build_activation
from .drs import DRS

__all__ = ['DRS', 'build_activation', 'accepts_channels']
