# Copyright (c) mmwsss contributors. All rights reserved.
"""Pictures of localization maps and labels (nothing registered here)."""
from .cam_grid import (CamGridRow, build_vis_dataset, build_vis_model, collect_row, grid_size,
                       make_cam_grid, render_grid, row_from_prediction, select_indices)

__all__ = [
    'CamGridRow', 'build_vis_model', 'build_vis_dataset', 'select_indices', 'collect_row',
    'row_from_prediction', 'render_grid', 'grid_size', 'make_cam_grid'
]
