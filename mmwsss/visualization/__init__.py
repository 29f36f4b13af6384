# Copyright (c) mmwsss contributors. All rights reserved.
"""Pictures of localization maps and labels (nothing registered here)."""

from .cam_grid import CamGridRow, grid_size, render_grid, row_from_prediction

__all__ = ['CamGridRow', 'row_from_prediction', 'render_grid', 'grid_size']
