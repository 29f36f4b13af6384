# Copyright (c) mmwsss contributors. All rights reserved.
"""CAMVisualizationHook: during validation and test every interval-th image's localization maps
reach the visualizer's backends (LocalVisBackend writes them as PNGs under vis_data)."""

import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image
from stage1_helpers import NUM_IMAGES, write_stage1_config

from mmwsss.engine.hooks import CAMVisualizationHook
from mmwsss.registry import HOOKS
from mmwsss.visualization import grid_size


def _runner(data_root, tmp_path, **hook):
    cfg = Config.fromfile(write_stage1_config(tmp_path / 'stage1.py', data_root))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='LoadAnnotations'),
        dict(type='PackWSSSInputs'),
    ]
    loader = dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='SyntheticWSSSDataset', data_root=data_root, pipeline=pipeline),
    )
    for split in ('val', 'test'):
        cfg[f'{split}_dataloader'] = loader
        cfg[f'{split}_cfg'] = dict(type=f'{split.capitalize()}Loop')
        cfg[f'{split}_evaluator'] = dict(type='IoUMetric', iou_metrics=['mIoU'])
    cfg.custom_hooks = [dict(type='CAMVisualizationHook', cell_size=32, **hook)]
    cfg.work_dir = str(tmp_path / 'work')
    return Runner.from_cfg(cfg)


def test_maps_reach_the_backends(data_root, tmp_path):
    runner = _runner(data_root, tmp_path, interval=4)
    runner.val()
    folder = osp.join(runner.log_dir, 'vis_data', 'vis_image')
    drawn = sorted(osp.basename(p) for p in glob.glob(osp.join(folder, '*.png')))
    # images 0 and 4 of 6, across two batches of 4; step = the training iteration (0)
    assert drawn == ['val_cam_train_00000_0.png', 'val_cam_train_00004_0.png']
    picture = np.array(Image.open(osp.join(folder, drawn[0])))
    classes = runner.val_dataloader.dataset.get_data_info(0)['cls_labels']
    # image, one heat map per class of the image, prediction, ground truth
    assert picture.shape == grid_size(1, 3 + len(classes), 32) + (3,)
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 8  # a picture, not a blank
    runner.test()
    tested = sorted(osp.basename(p) for p in glob.glob(osp.join(folder, 'test_cam_*.png')))
    assert tested == ['test_cam_train_00000_0.png', 'test_cam_train_00004_0.png']


def test_every_image_and_no_test(data_root, tmp_path):
    runner = _runner(data_root, tmp_path, interval=1, per_class=False, test=False)
    runner.val()
    runner.test()
    folder = osp.join(runner.log_dir, 'vis_data', 'vis_image')
    assert len(glob.glob(osp.join(folder, 'val_cam_*.png'))) == NUM_IMAGES
    assert not glob.glob(osp.join(folder, 'test_cam_*.png'))
    picture = np.array(Image.open(sorted(glob.glob(osp.join(folder, 'val_cam_*.png')))[0]))
    assert picture.shape == grid_size(1, 4, 32) + (3,)  # one heat map: the classes' maximum


def test_registered_and_checked():
    assert isinstance(HOOKS.build(dict(type='CAMVisualizationHook')), CAMVisualizationHook)
    with pytest.raises(ValueError, match='interval must be an int >= 1'):
        CAMVisualizationHook(interval=0)
