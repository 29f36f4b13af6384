# Copyright (c) mmwsss contributors. All rights reserved.
from .refine_head import RefineHead, argmax_masked_target

__all__ = ['RefineHead', 'argmax_masked_target']
