# Copyright (c) mmwsss contributors. All rights reserved.
from .cam_visualization_hook import CAMVisualizationHook
from .channels_last_hook import ChannelsLastHook
from .export_backbone_hook import ExportBackboneHook
from .pseudo_label_hook import PseudoLabelHook

__all__ = ['CAMVisualizationHook', 'ChannelsLastHook', 'ExportBackboneHook', 'PseudoLabelHook']
