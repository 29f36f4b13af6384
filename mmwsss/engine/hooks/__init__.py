# Copyright (c) mmwsss contributors. All rights reserved.
from .export_backbone_hook import ExportBackboneHook

__all__ = ['ExportBackboneHook']
