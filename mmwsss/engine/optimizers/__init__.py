# Copyright (c) mmwsss contributors. All rights reserved.
from .drs_optim_wrapper_constructor import DRSOptimWrapperConstructor

__all__ = ['DRSOptimWrapperConstructor']
