# Copyright (c) mmwsss contributors. All rights reserved.
"""mmwsss: weakly-supervised semantic segmentation for MMSegmentation 1.x.

Importing the package registers every module into MMSeg's registries; nothing else runs on import.
"""

from . import (  # noqa: F401,E402
    apis,
    datasets,
    engine,
    evaluation,
    models,
    utils,  # noqa: F401,E402  (checkpoint loading under weights-only torch.load)
)
from .version import __version__

__all__ = ['__version__']
