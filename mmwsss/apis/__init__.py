# Copyright (c) mmwsss contributors. All rights reserved.
"""High-level tools: the multi-stage pipeline runner, pseudo-label generation, model loading."""
from .model_loading import build_model_from_cfg, check_checkpoint_fits, load_model_checkpoint
from .pipeline_runner import PipelineRunner
from .pseudo_label_generator import DEFAULT_GENERATION_PIPELINE, PseudoLabelGenerator
from .storage import (encode_label_png, encode_maps_npz, image_id, load_label_png, load_maps,
                      save_label_png, save_maps)

__all__ = [
    'PipelineRunner', 'PseudoLabelGenerator', 'DEFAULT_GENERATION_PIPELINE', 'build_model_from_cfg',
    'check_checkpoint_fits', 'load_model_checkpoint', 'image_id', 'load_maps', 'save_maps',
    'encode_maps_npz', 'load_label_png', 'save_label_png', 'encode_label_png'
]
