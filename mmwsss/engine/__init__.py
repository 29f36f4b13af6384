# Copyright (c) mmwsss contributors. All rights reserved.
from . import hooks, optimizers, runner  # noqa: F401  (registers hooks, optimizers, loops)
from .runner import DEFAULT_GENERATION_PIPELINE, PseudoLabelLoop, PseudoLabelWriter

__all__ = ['PseudoLabelLoop', 'PseudoLabelWriter', 'DEFAULT_GENERATION_PIPELINE']
