# Copyright (c) mmwsss contributors. All rights reserved.
"""The pipeline runner on a tiny two-stage DRS pipeline: results, skipping and resuming."""

import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmwsss.apis.pipeline_runner import PipelineRunner
from mmwsss.datasets import generate_synthetic_benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE1 = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
REFINE = osp.join(ROOT, 'configs/drs/drs-refine_vgg16-x0.25_1xb10-30e_synthetic-256x256.py')


def _tiny(data_root: str, width_key: str) -> dict:
    """Overrides that make a synthetic stage config tiny (1/16 width, 1 epoch, no workers)."""
    loader = dict(num_workers=0, persistent_workers=False)
    return {
        'model.backbone.widen_factor': 1 / 16,
        'model.backbone.init_cfg': None,
        f'model.decode_head.{width_key}': 32,
        'model.decode_head.channels': 32,
        'train_dataloader': dict(batch_size=4, dataset=dict(data_root=data_root), **loader),
        'val_dataloader': dict(batch_size=4, dataset=dict(data_root=data_root), **loader),
        'test_dataloader': dict(batch_size=4, dataset=dict(data_root=data_root), **loader),
        'custom_hooks.0.dataset.data_root': data_root,
        'custom_hooks.0.batch_size': 4,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.logger.interval': 1,
    }


def _pipeline_cfg(tmp_path, data_root: str) -> str:
    stage1 = _tiny(data_root, 'in_channels')
    refine = _tiny(data_root, 'in_channels')
    refine['train_dataloader.dataset.data_prefix.loc_map_path'] = '{stage1.maps_dir}'
    spec = dict(
        method='DRS (learnable)',
        backbone='tiny',
        dataset='synthetic-tiny',
        seed=3,
        stages=[
            dict(
                name='stage1',
                kind='localization',
                config=STAGE1,
                cfg_options=stage1,
                metric='sweep/best_mIoU',
            ),
            dict(
                name='refine',
                kind='refined',
                config=REFINE,
                cfg_options=refine,
                metric='sweep/best_mIoU',
                extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
            ),
        ],
    )
    path = tmp_path / 'pipeline_tiny.py'
    path.write_text(f'pipeline = {spec!r}\n')
    return str(path)


@pytest.fixture
def tiny_pipeline(tmp_path):
    data_root = str(tmp_path / 'synthetic')
    generate_synthetic_benchmark(
        data_root, num_train=8, num_val=4, num_object_classes=4, image_size=32, seed=0
    )
    path = _pipeline_cfg(tmp_path, data_root)
    return path, str(tmp_path / 'work')


def _run(path, work_dir, **kwargs):
    return PipelineRunner(Config.fromfile(path), path, work_dir=work_dir, **kwargs).run()


def test_pipeline_runs_stages_in_order_and_resumes(tiny_pipeline):
    path, work_dir = tiny_pipeline
    summary = _run(path, work_dir)
    kinds = [r['kind'] for r in summary['stages']]
    assert kinds == ['localization', 'refined', 'pseudo_label']
    assert summary['stages'][2]['source'] == 'pseudo_labels/metrics.json'  # the refine hook's
    for record in summary['stages']:
        assert 0 <= record['metrics']['mIoU'] <= 100
        assert record['params'] > 0
    refine_dir = osp.join(work_dir, 'refine')
    # the refinement read the maps stage 1 wrote, and wrote one pseudo label per training image
    assert len(os.listdir(osp.join(work_dir, 'stage1', 'pseudo_labels', 'maps'))) == 8
    assert len(os.listdir(osp.join(refine_dir, 'pseudo_labels', 'labels'))) == 8
    with open(osp.join(work_dir, 'pipeline_results.json')) as f:
        assert json.load(f)['stages'] == summary['stages']

    # a second run redoes nothing
    stamp = os.stat(osp.join(refine_dir, 'results.json')).st_mtime_ns
    assert _run(path, work_dir)['stages'] == summary['stages']
    assert os.stat(osp.join(refine_dir, 'results.json')).st_mtime_ns == stamp

    # killed after refinement's training, before its labels and results: the rerun resumes from the
    # last checkpoint (no training step repeated) and only writes what is missing
    os.remove(osp.join(refine_dir, 'DONE'))
    labels = osp.join(refine_dir, 'pseudo_labels', 'labels')
    removed = sorted(os.listdir(labels))[:3]
    for name in removed:
        os.remove(osp.join(labels, name))
    ckpt = PipelineRunner.last_checkpoint(refine_dir)
    ckpt_stamp = os.stat(ckpt).st_mtime_ns
    again = _run(path, work_dir)
    assert sorted(os.listdir(labels)) == sorted(
        os.listdir(osp.join(work_dir, 'stage1', 'pseudo_labels', 'labels'))
    )
    assert PipelineRunner.last_checkpoint(refine_dir) == ckpt
    assert os.stat(ckpt).st_mtime_ns == ckpt_stamp  # not retrained
    assert [r['kind'] for r in again['stages']] == kinds


def test_named_outputs_of_earlier_stages(tiny_pipeline, tmp_path):
    path, work_dir = tiny_pipeline
    runner = PipelineRunner(Config.fromfile(path), path, work_dir=work_dir)
    stage1 = osp.abspath(osp.join(work_dir, 'stage1'))
    assert runner._substitute('{stage1.maps_dir}') == osp.join(stage1, 'pseudo_labels', 'maps')
    assert runner._substitute('{stage1.labels_dir}') == osp.join(stage1, 'pseudo_labels', 'labels')
    # the hook's own out_dir (here changed by the stage's options) decides
    cfg = Config.fromfile(path)
    cfg.pipeline.stages[0].cfg_options['custom_hooks.0.out_dir'] = str(tmp_path / 'elsewhere')
    runner = PipelineRunner(cfg, path, work_dir=work_dir)
    assert runner.stage_outputs('stage1')['maps_dir'] == str(tmp_path / 'elsewhere' / 'maps')
    cfg.pipeline.stages[0].cfg_options['custom_hooks'] = []
    with pytest.raises(KeyError, match="stage 'stage1' has 0 PseudoLabelHook"):
        PipelineRunner(cfg, path, work_dir=work_dir).stage_outputs('stage1')


def test_pipeline_config_errors(tmp_path, tiny_pipeline):
    path, _ = tiny_pipeline
    cfg = Config.fromfile(path)
    cfg.pipeline.stages[1].cfg_options['x'] = '{nope.work_dir}'
    with pytest.raises(ValueError, match='nope'):
        PipelineRunner(cfg, path)
    cfg = Config.fromfile(path)
    cfg.pipeline.stages[0]['config'] = 'configs/drs/missing.py'
    with pytest.raises(FileNotFoundError, match='missing.py'):
        PipelineRunner(cfg, path)
    cfg = Config.fromfile(path)
    cfg.pipeline.stages[0]['kind'] = 'seeds'
    with pytest.raises(ValueError, match='seeds'):
        PipelineRunner(cfg, path)
    with pytest.raises(KeyError, match='needs a `pipeline'):
        PipelineRunner(Config(dict(a=1)), path)
    with pytest.raises(KeyError, match='unknown stages'):
        PipelineRunner(Config.fromfile(path), path, only=['stage9'])


def test_only_runs_the_named_stages_and_refuses_gaps(tiny_pipeline):
    path, work_dir = tiny_pipeline
    summary = _run(path, work_dir, only=['stage1'])
    assert [r['kind'] for r in summary['stages']] == ['localization']
    assert not osp.exists(osp.join(work_dir, 'refine'))
    with pytest.raises(RuntimeError, match='stage1'):
        _run(path, str(osp.join(work_dir, 'other')), only=['refine'])


def test_a_stage_shared_with_another_pipeline_is_recorded_under_this_pipelines_name(
    tiny_pipeline, tmp_path
):
    path, work_dir = tiny_pipeline
    _run(path, work_dir, only=['stage1'])
    with open(osp.join(work_dir, 'stage1', 'results.json')) as f:
        first = json.load(f)
    cfg = Config.fromfile(path)
    cfg.pipeline.stages = [
        dict(cfg.pipeline.stages[0], name='support', work_dir=osp.join(work_dir, 'stage1'))
    ]
    summary = PipelineRunner(cfg, path, work_dir=str(tmp_path / 'other')).run()
    record = summary['stages'][0]
    assert record['stage'] == 'support'
    assert dict(record, stage='stage1') == first  # the rest is the first pipeline's record


def test_dataloader_workers_are_stopped_after_a_stage(tiny_pipeline, tmp_path):
    import multiprocessing

    from mmengine.runner import Runner

    from mmwsss.apis.pipeline_runner import shutdown_dataloader_workers

    path, _ = tiny_pipeline
    runner_cfg = PipelineRunner(Config.fromfile(path), path, work_dir=str(tmp_path / 'w'))
    cfg = runner_cfg.build_stage_cfg(runner_cfg.stages[0])
    cfg.merge_from_dict(
        {
            'train_dataloader.num_workers': 1,
            'train_dataloader.persistent_workers': True,
            'custom_hooks': [],
        }
    )
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert multiprocessing.active_children(), 'the persistent worker should still be alive'
    shutdown_dataloader_workers(runner)
    assert not multiprocessing.active_children()
    assert runner.train_loop.dataloader._iterator is None
