# Copyright (c) mmwsss contributors. All rights reserved.
from .export_backbone_hook import ExportBackboneHook
from .pseudo_label_hook import PseudoLabelHook

__all__ = ['ExportBackboneHook', 'PseudoLabelHook']
