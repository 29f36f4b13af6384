# Copyright (c) mmwsss contributors. All rights reserved.
from .pseudo_label_loop import DEFAULT_GENERATION_PIPELINE, PseudoLabelLoop
from .pseudo_label_writer import PseudoLabelWriter

__all__ = ['PseudoLabelLoop', 'PseudoLabelWriter', 'DEFAULT_GENERATION_PIPELINE']
