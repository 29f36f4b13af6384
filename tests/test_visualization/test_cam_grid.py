# Copyright (c) mmwsss contributors. All rights reserved.
"""The grid of localization maps: rows from predictions, the drawing."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.visualization import CamGridRow, grid_size, render_grid, row_from_prediction


def _prediction(with_labels: bool) -> SegDataSample:
    logits = torch.zeros(3, 8, 8)
    logits[1, :4] = 0.9
    logits[2, 4:] = 0.4
    sample = SegDataSample()
    sample.seg_logits = PixelData(data=logits)
    sample.pred_sem_seg = PixelData(data=logits.argmax(0, keepdim=True))
    if with_labels:
        sample.gt_cls_label = torch.tensor([0.0, 1.0])
    return sample


def test_row_from_prediction_takes_the_images_classes():
    image = np.zeros((16, 16, 3), np.uint8)
    row = row_from_prediction(_prediction(True), image, 'a', is_map_model=True)
    assert row.map_classes == [2] and row.maps.shape == (1, 16, 16)  # resized to the image
    assert row.label.shape == (16, 16) and row.gt is None and row.label_title == 'prediction'
    row = row_from_prediction(_prediction(False), image, 'a', True, classes=[1])
    assert row.map_classes == [1] and np.isclose(row.maps.max(), 0.9)
    row = row_from_prediction(_prediction(False), image, 'a', True)  # the predicted classes
    assert row.map_classes == [1, 2]
    softmax = row_from_prediction(_prediction(True), image, 'a', is_map_model=False)
    assert 0 < softmax.maps.min() and softmax.maps.max() < 1


def test_render_grid_paints_palette_and_ignore():
    image = np.zeros((20, 10, 3), np.uint8)
    label = np.zeros((20, 10), np.int64)
    label[:10] = 1
    label[10:] = 255
    row = CamGridRow('a', image, np.ones((1, 20, 10), np.float32), [1], label, 'prediction', None)
    grid = render_grid(
        [row], ['background', 'thing'], [[0, 0, 0], [200, 0, 0]], cell_size=40, alpha=1.0
    )
    assert grid.shape == grid_size(1, 4, 40) + (3,)
    from mmwsss.visualization.cam_grid import GAP, IGNORE_COLOUR, _title_height

    y0 = GAP + _title_height(40) + GAP
    x0 = GAP + 2 * (40 + GAP)  # label column; the 20x10 image is letterboxed to 40x20
    assert tuple(grid[y0 + 5, x0 + 20]) == (200, 0, 0)
    assert tuple(grid[y0 + 35, x0 + 20]) == IGNORE_COLOUR
    with pytest.raises(ValueError, match='palette'):
        render_grid([row], ['background', 'thing'], [[0, 0, 0]])
