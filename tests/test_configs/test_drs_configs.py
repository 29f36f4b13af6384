# Copyright (c) mmwsss contributors. All rights reserved.
"""Every shipped config parses, names registered modules and builds its model (full size, not trained)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401
from mmwsss.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE_CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and not osp.basename(p).startswith('pipeline_'))


def _load(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('path', STAGE_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds(path):
    cfg = _load(path)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    model = MODELS.build(cfg.model)
    assert _num_params(model) > 0


@pytest.mark.parametrize('name, total, in_drs', [
    ('drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236, 2_596_864),
    ('drs-fixed0.55_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236 - 2_596_864, 0),
    ('cam_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236 - 2_596_864, 0),
])
def test_full_size_voc_parameter_counts(name, total, in_drs):
    model = MODELS.build(_load(osp.join(ROOT, 'configs', 'drs', name)).model)
    assert _num_params(model) == total
    drs = sum(p.numel() for n, p in model.named_parameters() if n.endswith('.fc.weight'))
    assert drs == in_drs


def test_full_size_output_stride_and_maps():
    cfg = _load(osp.join(ROOT, 'configs', 'drs', 'drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py'))
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        cams = model(torch.rand(1, 3, 64, 64), mode='tensor')
    assert cams.shape == (1, 20, 8, 8)


def test_synthetic_configs_differ_only_in_the_activation():
    names = {
        'cam': 'ReLU',
        'drs-fixed0.55': 'DRS',
        'drs-learnable': 'DRS',
    }
    for prefix, act in names.items():
        cfg = _load(osp.join(ROOT, 'configs', 'drs', f'{prefix}_vgg16-x0.25_1xb10-45e_synthetic-192x192.py'))
        assert cfg.model.backbone.act_cfg.type == act
        assert cfg.model.head.act_cfg.type == act
        assert cfg.model.backbone.widen_factor == 0.25
        if act == 'ReLU':
            assert set(cfg.model.backbone.act_cfg) == {'type'}
