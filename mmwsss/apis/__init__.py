# Copyright (c) mmwsss contributors. All rights reserved.
"""High-level tools: the multi-stage pipeline runner, pseudo-label generation, model loading."""
from .model_loading import build_model_from_cfg, check_checkpoint_fits, load_model_checkpoint
from .pipeline_runner import PipelineRunner
from .pseudo_label_generator import DEFAULT_GENERATION_PIPELINE, PseudoLabelGenerator

__all__ = [
    'PipelineRunner', 'PseudoLabelGenerator', 'DEFAULT_GENERATION_PIPELINE', 'build_model_from_cfg',
    'check_checkpoint_fits', 'load_model_checkpoint'
]
