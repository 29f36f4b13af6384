# Copyright (c) mmwsss contributors. All rights reserved.
"""The lr of every epoch, from the schedulers the VOC configs build, against the official recipe.

The official ``utils/my_optim.py`` ``reduce_lr`` multiplies the lr by 0.1 when a decay-point epoch
(1-indexed) *begins*: stage 1 (decay points 5, 10; 15 epochs) runs 4 / 5 / 6 epochs at 1 / 0.1 /
0.01 x lr, the refinement (10, 20; 30 epochs) 9 / 10 / 11.
"""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import MultiStepLR
from mmengine.registry import init_default_scope

from mmwsss.registry import PARAM_SCHEDULERS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _lr_per_epoch(config: str) -> list:
    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope('mmseg')
    param = torch.nn.Parameter(torch.zeros(1))
    lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.SGD([param], lr=lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer)) for s in cfg.param_scheduler]
    assert all(isinstance(s, MultiStepLR) for s in schedulers)
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):  # what ParamSchedulerHook does by epoch
        lrs.append(optimizer.param_groups[0]['lr'] / lr)
        for scheduler in schedulers:
            scheduler.step()
    return lrs


def _official(decay_points, epochs):
    factor, out = 1.0, []
    for epoch in range(1, epochs + 1):  # reduce_lr at the start of each 1-indexed epoch
        if epoch in decay_points:
            factor *= 0.1
        out.append(factor)
    return out


@pytest.mark.parametrize(
    'config, decay_points, epochs',
    [
        ('configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py', (5, 10), 15),
        ('configs/drs/drs-learnable_vgg16_8xb2-15e_voc12aug-320x320.py', (5, 10), 15),
        ('configs/drs/drs-refine_vgg16_1xb10-30e_voc12aug-320x320.py', (10, 20), 30),
    ],
)
def test_lr_of_every_epoch_matches_the_official_reduce_lr(config, decay_points, epochs):
    lrs = _lr_per_epoch(config)
    print(config, ['%g' % v for v in lrs])
    assert lrs == pytest.approx(_official(decay_points, epochs))
