# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOL's configs parse, load the project through custom_imports, build their models, and the
pipelines chain the stages through their checkpoints."""

import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.apis.pipeline_runner import PipelineRunner
from mmwsss.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = osp.join(ROOT, 'projects', 'esol', 'configs')
STAGE_CONFIGS = sorted(glob.glob(osp.join(CONFIGS, '*.py')))
PIPELINES = sorted(glob.glob(osp.join(CONFIGS, 'pipelines', 'pipeline_*.py')))
SYNTHETIC = 'esol-{}_vgg16-x0.25_1xb10-10e_synthetic-256x256.py'


@pytest.fixture
def in_repo_root():
    """Pipeline configs name stage configs relative to the repository root."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(cwd)


def _load(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


# full-size models take a second each: build the ESOL ones (the shrinkage model equals the
# expansion's, see test_shrink_configs_differ_from_expand_in_the_stage_only, so only the
# synthetic one of those); the stage-1 and segmentation ones are mmwsss' / MMSeg's own models
@pytest.mark.parametrize(
    'path',
    [p for p in STAGE_CONFIGS if 'esol-expand' in p or 'esol-shrink_vgg16-x0.25' in p],
    ids=osp.basename,
)
def test_esol_stage_configs_build(path):
    cfg = _load(path)
    assert 'projects.esol.esol' in cfg.custom_imports.imports
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    assert cfg.model.init_cfg.type == 'Pretrained'
    assert cfg.model.backbone.init_cfg is None
    stage = 'expand' if 'esol-expand' in path else 'shrink'
    assert cfg.model.stage == stage
    assert cfg.optim_wrapper.paramwise_cfg.new_keys == [
        '.expansion.' if stage == 'expand' else '.shrinkage.'
    ]
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'ESOLClassifier'
    trainable = {n.split('.')[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == ({'expansion', 'decode_head'} if stage == 'expand' else {'shrinkage'})
    if '_r50-' in path:
        assert type(model.backbone).__name__ == 'ResNetV1c'
        assert model.expansion.in_channels == 2048
        assert model.expansion.weight.shape == (2048, 1, 3, 3)  # depthwise: no 2048^2 kernel


@pytest.mark.parametrize(
    'name', ['cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py', 'cam_vgg16_1xb10-5e_coco14-320x320.py']
)
def test_stage1_configs_parse(name):
    cfg = _load(osp.join(CONFIGS, name))
    assert cfg.model.type == 'CAMClassifier'
    assert cfg.model.decode_head.num_classes == (80 if 'coco' in name else 20)
    if 'r50' in name:
        assert cfg.model.backbone.type == 'ResNetV1c'
        assert cfg.model.backbone.init_cfg.checkpoint == 'open-mmlab://resnet50_v1c'
    else:
        assert cfg.model.backbone.type == 'DRSVGG'
        assert cfg.model.backbone.act_cfg.type == cfg.model.decode_head.act_cfg.type == 'ReLU'


def test_synthetic_config_forward_backward():
    """The synthetic expansion model (quarter-width VGG16, 8 x 8 maps) trains one tiny step."""
    cfg = _load(osp.join(CONFIGS, SYNTHETIC.format('expand')))
    cfg.model.init_cfg = None
    model = MODELS.build(cfg.model)
    model.train()
    inputs = torch.randn(2, 3, 64, 64)
    samples = []
    for label in ([1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]):
        sample = SegDataSample(metainfo=dict(ori_shape=(64, 64), img_shape=(64, 64)))
        sample.gt_cls_label = torch.tensor(label)
        samples.append(sample)
    losses = model.loss(inputs, samples)
    losses['loss_cls'].backward()
    grads = {n.split('.')[0] for n, p in model.named_parameters() if p.grad is not None}
    assert grads == {'expansion', 'decode_head'}
    assert model.expansion.offset_conv.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        maps, scores = model.localization_maps(inputs, (64, 64))
    assert maps.shape == (2, 4, 64, 64) and scores.shape == (2, 4)


@pytest.mark.parametrize('path', [p for p in STAGE_CONFIGS if 'esol-shrink' in p], ids=osp.basename)
def test_shrink_configs_differ_from_expand_in_the_stage_only(path):
    shrink = _load(path)
    expand = _load(path.replace('esol-shrink', 'esol-expand'))
    for key in (
        'type',
        'expansion',
        'shrinkage',
        'feature_clip',
        'area_loss',
        'backbone',
        'decode_head',
        'test_cfg',
    ):
        assert expand.model[key] == shrink.model[key], key
    assert (expand.model.stage, shrink.model.stage) == ('expand', 'shrink')
    assert expand.model.init_cfg.checkpoint != shrink.model.init_cfg.checkpoint
    # the shrinkage stage writes the maps (and labels) the following stages read
    assert shrink.custom_hooks[0].type == 'PseudoLabelHook'


@pytest.mark.parametrize('path', PIPELINES, ids=osp.basename)
def test_pipelines_chain_the_stages(path, in_repo_root, tmp_path):
    cfg = Config.fromfile(path)
    runner = PipelineRunner(
        cfg,
        osp.relpath(path, ROOT),
        work_dir=str(tmp_path / 'run'),
        shared_root=str(tmp_path / 'shared'),
    )
    names = [s['name'] for s in runner.stages]
    assert cfg.pipeline.method.startswith('ESOL')
    if 'ablation' in cfg.pipeline.method:  # the expansion alone, then the shared upper bound
        assert names == ['pretrain', 'stage1', 'expand', 'supervised']
        folder = runner.stage_dir('stage1')
        os.makedirs(folder, exist_ok=True)
        open(osp.join(folder, 'epoch_1.pth'), 'w').close()
        with open(osp.join(folder, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(folder, 'epoch_1.pth'))
        expand = runner.build_stage_cfg(runner.stages[2])
        assert expand.model.init_cfg.checkpoint == osp.join(folder, 'epoch_1.pth')
        assert expand.model.stage == 'expand'
        assert expand.model.get('trainable') == ['expansion']
        return
    assert names[names.index('stage1') : names.index('shrink') + 1] == [
        'stage1',
        'expand',
        'shrink',
    ]
    kinds = {s['name']: s['kind'] for s in runner.stages}
    assert kinds['expand'] == kinds['shrink'] == 'localization'
    # fake checkpoints: the expansion starts from stage 1's, the shrinkage from the expansion's
    ckpts = {}
    for name in ('stage1', 'expand'):
        folder = runner.stage_dir(name)
        os.makedirs(folder, exist_ok=True)
        ckpts[name] = osp.join(folder, 'epoch_1.pth')
        open(ckpts[name], 'w').close()
        with open(osp.join(folder, 'last_checkpoint'), 'w') as f:
            f.write(ckpts[name])
    stages = {s['name']: s for s in runner.stages}
    assert runner.build_stage_cfg(stages['expand']).model.init_cfg.checkpoint == ckpts['stage1']
    shrink = runner.build_stage_cfg(stages['shrink'])
    assert shrink.model.init_cfg.checkpoint == ckpts['expand']
    assert shrink.model.stage == 'shrink'
    # what follows reads the shrinkage stage's outputs
    following = [s for s in runner.stages if s['name'] in ('refine', 'segmentation')][0]
    assert any(
        str(v) in ('{shrink.maps_dir}', '{shrink.labels_dir}')
        for v in following['cfg_options'].values()
    )
    assert runner.stage_outputs('shrink')['maps_dir'] == osp.join(
        osp.abspath(runner.stage_dir('shrink')), 'pseudo_labels', 'maps'
    )
