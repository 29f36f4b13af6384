# Copyright (c) mmwsss contributors. All rights reserved.
"""The project's configs parse, build, and a tiny training step runs."""

import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.apis.pipeline_runner import PipelineRunner
from mmwsss.registry import DATASETS, MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG_DIR = osp.join(ROOT, 'projects', 'destruction_learning', 'configs')
PIPELINE_DIR = osp.join(CONFIG_DIR, 'pipelines')
DRS_PIPELINE_DIR = osp.join(ROOT, 'configs', 'drs', 'pipelines')
STAGE_CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))
PIPELINES = sorted(glob.glob(osp.join(PIPELINE_DIR, 'pipeline_*.py')))
SYNTHETIC_PIPELINES = [p for p in PIPELINES if p.endswith('_synthetic.py')]
SYNTHETIC = 'lldm-mdcm_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'


def _load(name_or_path):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name_or_path))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def _variant(path):
    name = osp.basename(path)
    return name.split('_')[0], name.split('_')[1].split('-')[0], name.split('_')[-1].split('-')[0]


def test_the_matrix_is_complete():
    found = {_variant(p) for p in STAGE_CONFIGS}
    for dataset in ('voc12aug', 'coco14'):
        for backbone in ('vgg16', 'r50'):
            for method in ('lldm', 'mdcm', 'lldm-mdcm'):
                assert (method, backbone, dataset) in found
    for method in ('lldm', 'mdcm', 'lldm-mdcm'):
        assert (method, 'vgg16', 'synthetic') in found
    assert {osp.basename(p) for p in PIPELINES} == {
        f'pipeline_{m}_synthetic.py' for m in ('lldm', 'mdcm', 'lldm-mdcm')
    } | {'pipeline_lldm-mdcm_voc12aug.py', 'pipeline_lldm-mdcm_coco14.py'}


@pytest.mark.parametrize('path', STAGE_CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = _load(path)
    method, backbone, dataset = _variant(path)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    steps = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    lldm = method in ('lldm', 'lldm-mdcm')
    assert ('LowLevelDestruction' in steps) == lldm
    if lldm:  # last before packing, never in a test pipeline
        assert steps[-2:] == ['LowLevelDestruction', 'PackDestructionInputs']
        assert cfg.model.data_preprocessor.type == 'DestructionDataPreProcessor'
    assert all(t['type'] != 'LowLevelDestruction' for t in cfg.val_dataloader.dataset.pipeline)
    model = MODELS.build(cfg.model)
    inner = model.backbone.backbone if 'mdcm' in method else model.backbone
    if 'mdcm' in method:
        assert type(model.backbone).__name__ == 'MDCMBackbone'
    assert type(inner).__name__ == ('ResNetV1c' if backbone == 'r50' else 'DRSVGG')
    assert model.num_fg_classes == dict(synthetic=4, voc12aug=20, coco14=80)[dataset]


@pytest.mark.parametrize(
    'name',
    [
        'lldm-mdcm_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py',
        'mdcm_vgg16_1xb10-15e_coco14-320x320.py',
    ],
)
def test_full_size_maps(name):
    cfg = _load(name)
    cfg.model.test_cfg.scales = (1.0,)  # the configs' 320 x 320 pass is slow on a CPU
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        maps, scores = model.localization_maps(torch.randn(1, 3, 48, 40), out_size=(48, 40))
    classes = model.num_fg_classes
    assert maps.shape == (1, classes, 48, 40) and scores.shape == (1, classes)
    assert maps.min() >= 0 and maps.max() <= 1


def _batch(cfg, n=2):
    """The config's train pipeline (after loading) on in-memory 256x256 images."""
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline[1:]])
    rng = np.random.default_rng(0)
    items = [
        pipeline(
            dict(
                img=rng.integers(0, 255, (256, 256, 3), dtype=np.uint8),
                img_path=f'{i}.png',
                ori_shape=(256, 256),
                img_shape=(256, 256),
                cls_labels=[1 + i, 3],
                num_classes=5,
                seg_fields=[],
            )
        )
        for i in range(n)
    ]
    return pseudo_collate(items)


def test_synthetic_training_step_and_inference():
    cfg = _load(SYNTHETIC)
    cfg.model.backbone.backbone.init_cfg = None  # no checkpoint in unit tests
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    np.random.seed(0)
    data = model.data_preprocessor(_batch(cfg), training=True)
    assert data['inputs'].shape == (4, 3, 256, 256)  # 2 images + 2 twins
    labels = torch.stack([s.gt_cls_label for s in data['data_samples']])
    assert torch.equal(labels[:2], labels[2:])
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    grad = model.backbone.backbone.features[0].weight.grad
    assert torch.isfinite(losses['loss_cls']) and grad is not None and grad.abs().sum() > 0
    # inference: no twins, maps at the input size
    model.eval()
    data = model.data_preprocessor(_batch(cfg), training=False)
    assert data['inputs'].shape == (2, 3, 256, 256)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert samples[0].seg_logits.data.shape == (5, 256, 256)
    assert samples[0].pred_sem_seg.data.shape == (1, 256, 256)


@pytest.mark.parametrize('path', SYNTHETIC_PIPELINES, ids=osp.basename)
def test_pipelines_swap_only_stage1(path):
    base = Config.fromfile(osp.join(DRS_PIPELINE_DIR, 'pipeline_drs_synthetic.py'))
    runner = PipelineRunner(Config.fromfile(path), osp.relpath(path, ROOT))
    assert [s['name'] for s in runner.stages] == [s['name'] for s in base.pipeline.stages]
    stage1 = next(s for s in runner.stages if s['name'] == 'stage1')
    method = osp.basename(path)[len('pipeline_') : -len('_synthetic.py')]
    assert stage1['config'] == (
        f'projects/destruction_learning/configs/{method}_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
    )
    for stage, ref in zip(runner.stages, base.pipeline.stages):
        if stage['name'] != 'stage1':
            assert stage['config'] == ref['config']
    # the pretrained backbone lands in the (possibly wrapped) VGG16
    cfg = runner.build_stage_cfg(stage1)
    backbone = cfg.model.backbone.get('backbone', cfg.model.backbone)
    assert backbone.type == 'DRSVGG'
    assert backbone.init_cfg.checkpoint.endswith(osp.join('synthetic_pretrain', 'backbone.pth'))
    if cfg.model.backbone.type == 'MDCMBackbone':  # no stray init_cfg on the wrapper
        assert 'init_cfg' not in cfg.model.backbone


@pytest.mark.parametrize('dataset', ['voc12aug', 'coco14'])
def test_real_data_pipelines(dataset):
    path = osp.join(PIPELINE_DIR, f'pipeline_lldm-mdcm_{dataset}.py')
    runner = PipelineRunner(Config.fromfile(path), osp.relpath(path, ROOT))
    stages = {s['name']: s for s in runner.stages}
    assert stages['stage1']['config'] == (
        f'projects/destruction_learning/configs/lldm-mdcm_vgg16_1xb10-15e_{dataset}-320x320.py'
    )
    cfg = runner.build_stage_cfg(stages['stage1'])
    assert cfg.model.backbone.type == 'MDCMBackbone'
    hooks = [h for h in cfg.custom_hooks if h['type'] == 'PseudoLabelHook']
    assert len(hooks) == 1 and hooks[0].out_dir == 'pseudo_labels'  # where the next stage reads
    if dataset == 'voc12aug':  # the rest is the DRS pipeline, unchanged
        base = Config.fromfile(osp.join(DRS_PIPELINE_DIR, 'pipeline_drs_voc12aug.py'))
        assert [s['name'] for s in runner.stages] == ['stage1', 'refine', 'segmentation']
        for stage, ref in zip(runner.stages[1:], base.pipeline.stages[1:]):
            assert stage['config'] == ref['config'] and stage['cfg_options'] == ref['cfg_options']
    else:
        # stage 1's threshold pseudo labels, then stage 3
        # (tests/test_projects/test_coco_pipelines.py)
        assert list(stages) == ['stage1', 'segmentation']
        assert cfg.model.decode_head.num_classes == 80
        assert hooks[0].pseudo_label_cfg == dict(mode='threshold', bg_thr=0.25)
