# Copyright (c) mmwsss contributors. All rights reserved.
"""Every method's COCO pipeline runs end to end: localization maps -> pseudo labels (the
background-threshold rule, COCO has no saliency maps) -> MMSeg's DeepLabV3+ on them, scored on
val2014; each stage reads only earlier stages' outputs, and every stage config builds its model."""

import os
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.apis.pipeline_runner import PipelineRunner
from mmwsss.datasets.coco import COCO_CLASSES
from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE3 = 'projects/esol/configs/deeplabv3plus_r101-d8_4xb4-80k_coco14-pseudo-512x512.py'
# pipeline -> (its stages, the stage whose hook writes the pseudo labels stage 3 trains on)
COCO_PIPELINES = {
    'projects/esol/configs/pipelines/pipeline_esol_coco14.py': (
        ['stage1', 'expand', 'shrink', 'segmentation'],
        'shrink',
    ),
    'projects/pixel_self_supervision/configs/pipelines/pipeline_rcm-mam_coco14.py': (
        ['support', 'stage1', 'segmentation'],
        'stage1',
    ),
    'projects/destruction_learning/configs/pipelines/pipeline_lldm-mdcm_coco14.py': (
        ['stage1', 'segmentation'],
        'stage1',
    ),
}
_REF = re.compile(r'\{(\w+)\.(work_dir|checkpoint)\}')


@pytest.fixture
def runner_of(tmp_path):
    cwd = os.getcwd()
    os.chdir(ROOT)  # stage configs are named relative to the repository root

    def make(path):
        runner = PipelineRunner(
            Config.fromfile(path),
            path,
            work_dir=str(tmp_path / 'run'),
            shared_root=str(tmp_path / 'shared'),
        )
        for stage in runner.stages:  # a fake checkpoint per stage: {stage.checkpoint} resolves
            folder = runner.stage_dir(stage['name'])
            os.makedirs(folder, exist_ok=True)
            open(osp.join(folder, 'epoch_1.pth'), 'w').close()
            with open(osp.join(folder, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(folder, 'epoch_1.pth'))
        return runner

    yield make
    os.chdir(cwd)


@pytest.mark.parametrize('path', sorted(COCO_PIPELINES), ids=osp.basename)
def test_coco_pipelines_reach_stage3(path, runner_of, tmp_path):
    names, labeller = COCO_PIPELINES[path]
    runner = runner_of(path)
    assert [s['name'] for s in runner.stages] == names
    assert runner.spec.dataset == 'COCO14'
    stages = {s['name']: s for s in runner.stages}
    # every placeholder names an earlier stage
    for i, stage in enumerate(runner.stages):
        for value in stage['cfg_options'].values():
            for ref, _ in _REF.findall(str(value)):
                assert ref in names[:i], (stage['name'], ref)
    # the labelling stage writes threshold pseudo labels of train2014 where stage 3 reads them
    hook_cfg = runner.build_stage_cfg(stages[labeller])
    hooks = [h for h in hook_cfg.custom_hooks if h.type == 'PseudoLabelHook']
    assert len(hooks) == 1
    hook = hooks[0]
    assert hook.get('save_labels', True) and hook.out_dir == 'pseudo_labels'
    assert hook.pseudo_label_cfg == dict(mode='threshold', bg_thr=0.25)
    assert hook.dataset.data_root == 'data/coco2014'
    assert hook.dataset.data_prefix == dict(img_path='train2014', seg_map_path='mask/train2014')
    assert [r['kind'] for r in stages[labeller]['extra_results']] == ['pseudo_label']
    # stage 3: DeepLabV3+ on those labels, 81 classes, val2014 GT
    seg = stages['segmentation']
    assert seg['config'] == STAGE3 and seg['kind'] == 'segmentation'
    cfg = runner.build_stage_cfg(seg)
    labels = cfg.train_dataloader.dataset.data_prefix.seg_map_path
    assert labels == osp.join(osp.abspath(runner.stage_dir(labeller)), 'pseudo_labels', 'labels')
    assert cfg.model.decode_head.num_classes == len(COCO_CLASSES) == 81
    assert cfg.val_dataloader.dataset.data_prefix.seg_map_path == 'mask/val2014'


@pytest.mark.parametrize('path', sorted(COCO_PIPELINES), ids=osp.basename)
def test_coco_stage_configs_build(path, runner_of):
    """Every stage's model builds (the DeepLabV3+ once: it is the same config everywhere)."""
    runner = runner_of(path)
    for stage in runner.stages:
        if stage['kind'] == 'segmentation' and 'esol' not in path:
            continue
        cfg = Config.fromfile(stage['config'])
        if cfg.get('custom_imports'):
            import_modules_from_strings(**cfg.custom_imports)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        model_cfg = cfg.model
        if model_cfg.get('support_checkpoint'):  # a frozen SupportNet loads at build time
            model_cfg = Config(dict(m=model_cfg)).m
            model_cfg.support_checkpoint = None
        model = MODELS.build(model_cfg)
        assert sum(p.numel() for p in model.parameters()) > 0
