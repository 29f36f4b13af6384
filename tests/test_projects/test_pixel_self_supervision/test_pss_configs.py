# Copyright (c) mmwsss contributors. All rights reserved.
"""The project's configs parse, register their modules through custom_imports, build, and a tiny
forward/backward runs through the synthetic and ResNet models."""

import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from pss_test_helpers import batch

from mmwsss.apis.pipeline_runner import PipelineRunner
from mmwsss.registry import DATASETS, HOOKS, MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIG_DIR = osp.join(ROOT, 'projects', 'pixel_self_supervision', 'configs')
PIPELINE_DIR = osp.join(CONFIG_DIR, 'pipelines')
STAGES = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))
PIPELINES = sorted(glob.glob(osp.join(PIPELINE_DIR, 'pipeline_*.py')))
ALL = STAGES + PIPELINES
SYNTHETIC = 'vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
PACKAGE = 'projects.pixel_self_supervision.pixel_self_supervision'


def _load(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def test_every_config_is_found():
    names = {osp.basename(p) for p in ALL}
    for variant in ('rcm', 'mam', 'rcm-mam'):
        assert f'{variant}_{SYNTHETIC}' in names
        assert f'{variant}_vgg16_1xb10-15e_voc12aug-320x320.py' in names
        assert f'{variant}_vgg16_1xb10-15e_coco14-320x320.py' in names
        assert f'pipeline_{variant}_synthetic.py' in names


@pytest.mark.parametrize('path', STAGES, ids=osp.basename)
def test_stage_config_builds(path):
    cfg = _load(path)
    if cfg.model.type == 'MainSupportCAMClassifier':
        assert PACKAGE in cfg.custom_imports.imports
        import_modules_from_strings(cfg.custom_imports.imports)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    for hook in cfg.get('custom_hooks', []):
        assert HOOKS.get(hook.type) is not None
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) > 0
    if cfg.model.get('support_mode') == 'ema':
        assert any(h.type == 'SupportNetEMAHook' for h in cfg.custom_hooks)
    if cfg.model.get('rcm') is not None:
        assert 'rcm.' in cfg.optim_wrapper.paramwise_cfg.new_keys


def test_variants_differ_only_in_their_modules():
    both = _load(osp.join(CONFIG_DIR, f'rcm-mam_{SYNTHETIC}'))
    rcm = _load(osp.join(CONFIG_DIR, f'rcm_{SYNTHETIC}'))
    mam = _load(osp.join(CONFIG_DIR, f'mam_{SYNTHETIC}'))
    assert rcm.model.mam is None and rcm.model.rcm == both.model.rcm
    assert mam.model.rcm is None and mam.model.mam == both.model.mam
    cam = _load(osp.join(ROOT, 'configs', 'drs', f'cam_{SYNTHETIC}'))
    assert both.model.backbone == cam.model.backbone
    assert both.model.decode_head == cam.model.decode_head
    assert both.train_cfg == cam.train_cfg and both.model.support_mode == 'frozen'


@pytest.mark.parametrize('path', PIPELINES, ids=osp.basename)
def test_pipeline_config_parses(path):
    runner = PipelineRunner(Config.fromfile(path), path)
    stages = {s['name']: s for s in runner.stages}
    stage1 = stages['stage1']
    assert stage1['config'].startswith('projects/pixel_self_supervision/configs/')
    assert osp.isfile(osp.join(ROOT, stage1['config']))
    if 'support' in stages:  # frozen SupportNet: stage 1 reads the support stage's checkpoint
        names = [s['name'] for s in runner.stages]
        assert names.index('support') < names.index('stage1')
        assert stage1['cfg_options']['model.support_checkpoint'] == '{support.checkpoint}'
        assert _load(osp.join(ROOT, stages['support']['config'])).model.type == 'CAMClassifier'
    else:
        assert 'model.support_checkpoint' not in stage1['cfg_options']
        assert _load(osp.join(ROOT, stage1['config'])).model.support_mode in ('ema', 'shared')


def test_synthetic_support_stage_is_the_cam_rows_stage1():
    cam = PipelineRunner(
        Config.fromfile(osp.join(ROOT, 'configs', 'drs', 'pipelines', 'pipeline_cam_synthetic.py')),
        'configs/drs/pipelines/pipeline_cam_synthetic.py',
    )
    path = osp.join(PIPELINE_DIR, 'pipeline_rcm-mam_synthetic.py')
    ours = PipelineRunner(Config.fromfile(path), 'pipeline_rcm-mam_synthetic.py')
    assert ours.stage_dir('support') == cam.stage_dir('stage1')
    cam_stage1 = {s['name']: s for s in cam.stages}['stage1']
    support = {s['name']: s for s in ours.stages}['support']
    for key in ('kind', 'config', 'cfg_options', 'metric'):
        assert support[key] == cam_stage1[key]


@pytest.mark.parametrize('mode', ['frozen', 'ema', 'shared'])
def test_synthetic_model_forward_backward(mode):
    cfg = _load(osp.join(CONFIG_DIR, f'rcm-mam_{SYNTHETIC}'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(support_mode=mode, support_checkpoint=None)
    model_cfg.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).train()
    losses = model.loss(*batch(labels=((1, 0, 0, 1), (0, 1, 0, 0)), size=64))
    assert set(losses) == {'loss_cls', 'loss_rcm', 'loss_mam'}
    sum(losses.values()).backward()
    assert model.backbone.features[0].weight.grad is not None
    assert model.rcm.projection[0].weight.grad is not None


def test_resnet_model_forward_backward():
    cfg = _load(osp.join(CONFIG_DIR, 'rcm-mam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py'))
    model_cfg = copy.deepcopy(cfg.model)
    # ResNet-18 stands in for ResNet-50 (same code path, smaller); BN instead of SyncBN on CPU
    model_cfg.backbone.update(depth=18, init_cfg=None, norm_cfg=dict(type='BN'))
    model_cfg.decode_head.update(in_channels=512, channels=16)
    model_cfg.update(support_mode='ema')
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    assert not model.support_net['backbone'].training  # frozen BN statistics in SupportNet
    x, samples = batch(labels=[[1] + [0] * 19, [0, 1] + [0] * 18], size=32)
    losses = model.loss(x, samples)
    sum(losses.values()).backward()
    assert model.backbone.stem[0].weight.grad is not None
    assert model.decode_head.conv_cls.weight.grad is not None
    assert all(p.grad is None for p in model.support_net.parameters())
    # MainNet's BN statistics moved in training; the EMA update copies buffers
    main_bn, support_bn = model.backbone.stem[1], model.support_net['backbone'].stem[1]
    assert not torch.equal(main_bn.running_mean, support_bn.running_mean)
    model.update_support_net()
    assert torch.equal(main_bn.running_mean, support_bn.running_mean)
