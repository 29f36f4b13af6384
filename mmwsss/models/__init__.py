# Copyright (c) mmwsss contributors. All rights reserved.
# imported for their side effect: each subpackage registers its modules into MMSeg's registries
from . import backbones, decode_heads, heads, layers, segmentors, utils, wrappers  # noqa: F401
