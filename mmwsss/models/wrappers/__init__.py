# Copyright (c) mmwsss contributors. All rights reserved.
from .ddp import DeviceAgnosticDDP

__all__ = ['DeviceAgnosticDDP']
