# Copyright (c) mmwsss contributors. All rights reserved.
"""What a user calls: the multi-stage pipeline runner, models and datasets of a config."""

from .inference import (
    check_checkpoint_fits,
    init_dataset,
    init_model,
    load_model_checkpoint,
    preprocessed_batches,
)
from .pipeline_runner import PipelineRunner

__all__ = [
    'PipelineRunner',
    'init_model',
    'init_dataset',
    'check_checkpoint_fits',
    'load_model_checkpoint',
    'preprocessed_batches',
]
