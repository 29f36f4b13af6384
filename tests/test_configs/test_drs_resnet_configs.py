# Copyright (c) mmwsss contributors. All rights reserved.
"""The DRS-ResNet configs: full-size models built (not trained), parameter counts, output stride,
and the synthetic ones following the synthetic DRS stage-1 config."""

import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.layers import DRS
from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DRS_DIR = osp.join(ROOT, 'configs', 'drs')
# CAM head on 2048 channels: 3x3 2048->512, two 3x3 512->512, 1x1 512->20 (weights + biases)
HEAD = 2048 * 512 * 9 + 512 + 2 * (512 * 512 * 9 + 512) + 512 * 20 + 20
HEAD_DRS = 3 * 512**2
R50, R101 = 23_527_264, 42_519_392  # MMSeg's ResNetV1c convs + BNs
R50_DRS, R101_DRS = 22_640_640, 42_694_656


def _load(name):
    cfg = Config.fromfile(osp.join(DRS_DIR, name))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def _count(model, suffix=None):
    return sum(
        p.numel() for n, p in model.named_parameters() if suffix is None or n.endswith(suffix)
    )


@pytest.mark.parametrize(
    'name, backbone, backbone_drs, learnable',
    [
        ('drs-learnable_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py', R50, R50_DRS, True),
        ('drs-fixed0.55_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py', R50, 0, False),
        ('drs-learnable_r101-v1c-d8_1xb10-15e_voc12aug-320x320.py', R101, R101_DRS, True),
        ('drs-fixed0.55_r101-v1c-d8_1xb10-15e_voc12aug-320x320.py', R101, 0, False),
    ],
)
def test_voc_resnet_configs(name, backbone, backbone_drs, learnable):
    cfg = _load(name)
    depth = 101 if 'r101' in name else 50
    assert cfg.model.backbone.type == 'DRSResNetV1c' and cfg.model.backbone.depth == depth
    assert cfg.model.backbone.init_cfg.checkpoint == f'open-mmlab://resnet{depth}_v1c'
    assert cfg.model.backbone.act_cfg == cfg.model.decode_head.act_cfg
    assert cfg.model.backbone.act_cfg.get('learnable', False) == learnable
    assert 'widen_factor' not in cfg.model.backbone  # nothing left of the VGG backbone
    model = MODELS.build(cfg.model)
    head_drs = HEAD_DRS if learnable else 0
    assert _count(model) == backbone + backbone_drs + HEAD + head_drs
    assert _count(model, '.fc.weight') == backbone_drs + head_drs
    # every suppressor of the backbone is a DRS, of the configured kind
    sups = [m for m in model.backbone.modules() if isinstance(m, DRS)]
    assert len(sups) == 3 + 3 * {50: 16, 101: 33}[depth]
    assert all(s.learnable == learnable for s in sups)
    # the optimizer puts the suppressors with the new weights (x10 lr)
    assert '.fc' in cfg.optim_wrapper.paramwise_cfg.new_keys
    if depth == 50:
        model.eval()
        with torch.no_grad():
            cams = model(torch.rand(1, 3, 64, 64), mode='tensor')
        assert cams.shape == (1, 20, 8, 8)  # output stride 8


@pytest.mark.parametrize('kind', ['learnable', 'fixed0.55'])
def test_synthetic_resnet_config_follows_the_vgg_one(kind):
    ours = _load(f'drs-{kind}_r50-v1c-w16-d8_1xb10-45e_synthetic-256x256.py')
    vgg = _load(f'drs-{kind}_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    # only the backbone and the head's input width differ
    for key in (
        'train_dataloader',
        'val_dataloader',
        'custom_hooks',
        'optim_wrapper',
        'param_scheduler',
        'train_cfg',
        'val_evaluator',
    ):
        assert ours[key] == vgg[key], key
    assert ours.model.test_cfg == vgg.model.test_cfg
    assert {k: v for k, v in ours.model.decode_head.items() if k != 'in_channels'} == {
        k: v for k, v in vgg.model.decode_head.items() if k != 'in_channels'
    }
    assert ours.model.backbone.act_cfg == vgg.model.backbone.act_cfg
    model = MODELS.build(ours.model)
    assert model.backbone.layer4[-1].act_out.channels in (None, 512)
    # one forward + backward on a small batch (no training loop)
    x = torch.rand(2, 3, 48, 48)
    cams = model(x, mode='tensor')
    assert cams.shape == (2, 4, 6, 6)
    loss = F.multilabel_soft_margin_loss(
        cams.mean(dim=(2, 3)), torch.tensor([[1.0, 0, 0, 1], [0, 1, 0, 0]])
    )
    loss.backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0
