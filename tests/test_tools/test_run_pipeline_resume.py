# Copyright (c) mmwsss contributors. All rights reserved.
"""``tools/run_pipeline.py`` SIGKILLed inside a training stage and started again with the same
command writes the same ``pipeline_results.json`` as an uninterrupted run.

Tiny two-stage DRS pipeline (stage 1, then the refinement trained on stage 1's maps, each with its
PseudoLabelHook and test); the refinement is killed in the middle of its epoch 3 of 4, after
``epoch_2.pth``. The only field allowed to differ is ``train_time_s`` (wall-clock time, which
includes the killed attempt); checkpoint paths differ only by the work dir.
"""

import json
import os.path as osp
import sys

from mmengine.config import Config
from resume_helpers import KILLED, ROOT, run

from mmwsss.datasets import generate_synthetic_benchmark

STAGE1 = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
REFINE = osp.join(ROOT, 'configs/drs/drs-refine_vgg16-x0.25_1xb10-30e_synthetic-256x256.py')


def _tiny(data_root: str, epochs: int) -> dict:
    """Overrides making a synthetic stage config tiny (1/16 width, 32 px, 2 persistent workers)."""
    loader = dict(batch_size=2, dataset=dict(data_root=data_root))
    return {
        'model.backbone.widen_factor': 1 / 16,
        'model.backbone.init_cfg': None,
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 32,
        'train_dataloader': dict(loader, num_workers=2, persistent_workers=True),
        'val_dataloader': dict(loader, num_workers=0, persistent_workers=False),
        'test_dataloader': dict(loader, num_workers=0, persistent_workers=False),
        'custom_hooks.0.dataset.data_root': data_root,
        'custom_hooks.0.batch_size': 4,
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': epochs,
        'default_hooks.logger.interval': 1,
    }


def _normalised(path: str, work_dir: str) -> dict:
    with open(path) as f:
        text = f.read()
    summary = json.loads(text.replace(osp.abspath(work_dir), '<work_dir>'))
    for record in summary['stages']:
        assert record.pop('train_time_s') >= 0  # wall-clock: legitimately differs
    return summary


def test_pipeline_killed_in_a_training_stage_and_rerun_gives_the_same_results(tmp_path):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=8, num_val=2, num_object_classes=4, image_size=32, seed=0
    )
    marker = tmp_path / 'killed_once'
    # the refinement stage with a KillHook that fires once (it leaves the marker behind)
    refine = tmp_path / 'refine_killed_once.py'
    refine.write_text(
        '\n'.join(
            [
                f'_base_ = [{REFINE!r}]',
                "custom_imports = dict(imports=['mmwsss', 'kill_hook'], "
                'allow_failed_imports=False)',
                f"custom_hooks = _base_.custom_hooks + [dict(type='KillHook', epoch=2, "
                f'marker={str(marker)!r})]',
            ]
        )
        + '\n'
    )
    refine_options = dict(_tiny(data_root, 4))
    refine_options['train_dataloader.dataset.data_prefix.loc_map_path'] = '{stage1.maps_dir}'
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
                cfg_options=_tiny(data_root, 2),
                metric='sweep/best_mIoU',
            ),
            dict(
                name='refine',
                kind='refined',
                config=str(refine),
                cfg_options=refine_options,
                metric='sweep/best_mIoU',
                extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
            ),
        ],
    )
    pipeline = tmp_path / 'pipeline_tiny.py'
    pipeline.write_text(f'pipeline = {spec!r}\n')
    Config.fromfile(str(pipeline))  # a valid pipeline config

    def pipeline_cmd(work_dir: str) -> list:
        return [
            sys.executable,
            osp.join(ROOT, 'tools/run_pipeline.py'),
            str(pipeline),
            '--work-dir',
            work_dir,
        ]

    killed = str(tmp_path / 'killed')
    run(pipeline_cmd(killed), expect=KILLED)
    assert marker.exists()
    refine_dir = osp.join(killed, 'refine')
    assert osp.isfile(osp.join(killed, 'stage1', 'DONE'))
    assert osp.isfile(osp.join(refine_dir, 'epoch_2.pth'))
    assert not osp.exists(osp.join(refine_dir, 'epoch_3.pth'))
    assert not osp.exists(osp.join(killed, 'pipeline_results.json'))
    out = run(pipeline_cmd(killed))  # the same command again
    assert 'stage stage1: finished before, skipped' in out.stdout + out.stderr
    assert 'resumed epoch: 2' in (out.stdout + out.stderr).lower()

    straight = str(tmp_path / 'straight')  # the marker exists: the KillHook does nothing
    run(pipeline_cmd(straight))

    resumed_results = _normalised(osp.join(killed, 'pipeline_results.json'), killed)
    straight_results = _normalised(osp.join(straight, 'pipeline_results.json'), straight)
    assert [r['kind'] for r in straight_results['stages']] == [
        'localization',
        'refined',
        'pseudo_label',
    ]
    assert resumed_results == straight_results
