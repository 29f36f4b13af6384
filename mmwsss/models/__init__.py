# Copyright (c) mmwsss contributors. All rights reserved.
from . import (
    backbones,
    decode_heads,
    heads,
    layers,
    segmentors,  # noqa: F401
    utils,
    wrappers,
)
