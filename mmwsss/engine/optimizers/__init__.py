# Copyright (c) mmwsss contributors. All rights reserved.
from .amp_optim_wrapper import DeviceAgnosticAmpOptimWrapper
from .drs_optim_wrapper_constructor import DRSOptimWrapperConstructor

__all__ = ['DRSOptimWrapperConstructor', 'DeviceAgnosticAmpOptimWrapper']
