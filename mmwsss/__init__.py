# Copyright (c) mmwsss contributors. All rights reserved.
"""mmwsss: weakly-supervised semantic segmentation for MMSegmentation 1.x.

Importing the package registers every module into MMSeg's registries; nothing else runs on import.
"""

# imported for their side effects: each subpackage registers its modules into MMSeg's registries;
# utils also makes MMEngine load local checkpoints under weights-only torch.load
from . import apis, datasets, engine, evaluation, models, utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
