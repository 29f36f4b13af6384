# Copyright (c) mmwsss contributors. All rights reserved.
"""The registries mmwsss registers into.

mmwsss adds no registries of its own: every module goes straight into MMSeg's, so a config with
``default_scope='mmseg'`` and ``custom_imports=dict(imports=['mmwsss'])`` mixes both freely.
Activation layers go into MMEngine's root ``MODELS``, where mmcv's ``build_activation_layer`` looks
them up in any scope (the scoped registries search their parent).
"""

from mmengine.registry import MODELS as ROOT_MODELS
from mmseg.registry import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    HOOKS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    PARAM_SCHEDULERS,
    RUNNERS,
    TRANSFORMS,
    VISUALIZERS,
)

__all__ = [
    'ROOT_MODELS',
    'MODELS',
    'DATASETS',
    'TRANSFORMS',
    'HOOKS',
    'METRICS',
    'EVALUATOR',
    'LOOPS',
    'MODEL_WRAPPERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'DATA_SAMPLERS',
    'RUNNERS',
    'VISUALIZERS',
]
