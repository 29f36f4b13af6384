# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/mmseg_tool.py: the tools of the mmseg wheel (get_flops, benchmark, print_config,
confusion_matrix, analyze_logs) run on mmwsss's stage configs, shrunk to tiny widths and images.

The tools run in this process through ``run_tool`` (as ``mim run`` would: the wheel's script, its
own ``main``), one of them as a subprocess, as a user types it."""

import json
import os
import os.path as osp
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image
from tool_loader import load_tool

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.registry import DATASETS, MODELS

tool = load_tool('mmseg_tool.py')
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE1 = 'configs/drs/drs-fixed0.55_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
# one config of every kind of stage: CAM / DRS stage 1, refinement, the ImageNet stand-in,
# stage 3 (MMSeg's DeepLabV3+), and each project's method
STAGE_CONFIGS = [
    STAGE1,
    'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
    'configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
    'configs/drs/drs-learnable_r50-v1c-w16-d8_1xb10-45e_synthetic-256x256.py',
    'configs/drs/drs-refine_vgg16-x0.25_1xb10-30e_synthetic-256x256.py',
    'configs/drs/pretrain_vgg16-x0.25-bn_1xb20-30e_synthetic-pretrain-128x128.py',
    'configs/drs/deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-pseudo-256x256.py',
    'projects/esol/configs/esol-expand_vgg16-x0.25_1xb10-10e_synthetic-256x256.py',
    'projects/destruction_learning/configs/lldm-mdcm_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
    'projects/pixel_self_supervision/configs/rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
]
NUM_VAL = 206  # benchmark.py times images 6..200 and reports nothing for fewer
NUM_FG = 4


def run(name, *args, capsys=None):
    """Run tool ``name`` in this process; its printed output."""
    with matplotlib.rc_context():  # analyze_logs sets seaborn's style globally
        tool.run_tool(name, [str(a) for a in args])
    return capsys.readouterr().out if capsys is not None else ''


@pytest.fixture(scope='module')
def stage1(tmp_path_factory):
    """A tiny copy of the synthetic DRS stage-1 config (x1/16 widths, 32 px images, 206 val
    images), its data, a checkpoint of its model and the json log of a two-epoch training."""
    root = tmp_path_factory.mktemp('mmseg_tool')
    data_root = str(root / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=4, num_val=NUM_VAL, num_object_classes=NUM_FG, image_size=32, seed=0
    )
    config = str(root / 'tiny_stage1.py')
    loader = (
        'dict(batch_size=2, num_workers=0, persistent_workers=False, '
        f"dataset=dict(data_root={data_root!r}, ann_file='ImageSets/Segmentation/{{}}.txt'))"
    )
    with open(config, 'w') as f:
        f.write(
            '\n'.join(
                [
                    f'_base_ = [{osp.join(ROOT, STAGE1)!r}]',
                    'model = dict(backbone=dict(widen_factor=0.0625, init_cfg=None), '
                    'decode_head=dict(in_channels=32, channels=16))',
                    f'train_dataloader = {loader.format("train")}',
                    f'val_dataloader = {loader.format("val")}',
                    'test_dataloader = val_dataloader',
                    'train_cfg = dict(max_epochs=2, val_interval=2)',
                    'param_scheduler = []',
                    'custom_hooks = []',
                    'default_hooks = dict(logger=dict(interval=1))',
                    '',
                ]
            )
        )
    work = str(root / 'train')
    out = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools/train.py'), config, '--work-dir', work],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    logs = [
        osp.join(dirpath, f)
        for dirpath, _, files in os.walk(work)
        for f in files
        if f.endswith('.json') and f != 'scalars.json'
    ]
    assert len(logs) == 1, logs
    return dict(
        root=root,
        data_root=data_root,
        config=config,
        checkpoint=osp.join(work, 'epoch_2.pth'),
        log=logs[0],
    )


def test_help_and_list(capsys):
    tool.main(['--help'])
    assert 'usage: python tools/mmseg_tool.py' in capsys.readouterr().out
    tool.main(['--list'])
    listed = capsys.readouterr().out.split()
    for name in (
        'analysis_tools/get_flops',
        'analysis_tools/benchmark',
        'misc/print_config',
        'analysis_tools/confusion_matrix',
        'analysis_tools/analyze_logs',
        'test',
    ):
        assert name in listed
        with pytest.raises(SystemExit) as info:
            run(osp.basename(name), '--help')
        assert info.value.code == 0
        assert 'usage:' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='matches several tools'):
        tool.main(['browse_dataset'])
    with pytest.raises(SystemExit, match='not a tool of the mmseg wheel'):
        tool.main(['no_such_tool'])


@pytest.mark.parametrize('config', STAGE_CONFIGS, ids=lambda c: osp.basename(c)[:-3])
def test_get_flops_on_every_kind_of_stage_config(config, capsys):
    out = run('get_flops', osp.join(ROOT, config), '--shape', 32, capsys=capsys)
    flops = [line for line in out.splitlines() if line.startswith(('Flops:', 'Params:'))]
    assert len(flops) == 2 and 'Input shape: (32, 32)' in out, out
    # the numbers are the model's: its parameters (get_flops drops an auxiliary head), counted here
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(osp.join(ROOT, config)).model)
    params = sum(
        p.numel() for n, p in model.named_parameters() if not n.startswith('auxiliary_head.')
    )
    shown = float(flops[1].split()[-1].rstrip('MK')) * (1e6 if flops[1].endswith('M') else 1e3)
    assert abs(shown - params) <= 0.01 * params, (flops, params)


def test_get_flops_as_a_user_types_it():
    out = subprocess.run(
        [sys.executable, 'tools/mmseg_tool.py', 'get_flops', STAGE1, '--shape', '64', '48'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert 'Input shape: (64, 48)' in out.stdout and 'Flops: ' in out.stdout


def test_benchmark(stage1, capsys):
    work = stage1['root'] / 'fps'
    out = run(
        'benchmark',
        stage1['config'],
        stage1['checkpoint'],
        '--work-dir',
        work,
        '--log-interval',
        100,
        capsys=capsys,
    )
    assert 'Done image [100/ 200]' in out and 'Overall fps:' in out, out
    (result,) = [osp.join(work, f) for f in os.listdir(work) if f.startswith('fps_')]
    with open(result) as f:
        fps = json.load(f)
    assert fps['average_fps'] > 0 and fps['config'] == stage1['config']


def test_print_config(stage1, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it writes example.py and example-graph.txt here
    out = run('print_config', stage1['config'], '--graph', capsys=capsys)
    assert "type='CAMClassifier'" in out and 'decode_head=dict(' in out
    assert 'Model graph:' in out and '(decode_head): CAMHead(' in out
    assert Config.fromfile(str(tmp_path / 'example.py')).model.decode_head.channels == 16


def test_confusion_matrix_of_test_predictions(stage1, capsys):
    pred = str(stage1['root'] / 'pred')
    out = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/test.py'),
            stage1['config'],
            stage1['checkpoint'],
            '--work-dir',
            str(stage1['root'] / 'test'),
            '--out',
            pred,
            '--precision',
            'fp32',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert len(os.listdir(pred)) == NUM_VAL
    save_dir = stage1['root'] / 'cm'
    run('confusion_matrix', stage1['config'], pred, save_dir, capsys=capsys)
    assert (save_dir / 'confusion_matrix.png').stat().st_size > 0

    # the counts: the fixed tool's against a count of its own from the files
    module = load_tool_with_fix('analysis_tools/confusion_matrix')
    init_default_scope('mmseg')
    dataset = DATASETS.build(Config.fromfile(stage1['config']).test_dataloader.dataset)
    assert dataset.METAINFO['classes'] == dataset.metainfo['classes']  # classes from meta.json
    preds = [np.array(Image.open(osp.join(pred, f))) for f in sorted(os.listdir(pred))]
    matrix = module.calculate_confusion_matrix(dataset, preds)
    expected = np.zeros((NUM_FG + 1, NUM_FG + 1))
    for i, p in enumerate(preds):
        gt = np.array(Image.open(dataset.get_data_info(i)['seg_map_path']))
        keep = gt != 255
        np.add.at(expected, (gt[keep].astype(int), p[keep].astype(int)), 1)
    assert np.array_equal(matrix, expected) and matrix.sum() > 0


def load_tool_with_fix(key):
    """The wheel's script ``key`` as a module, with tools/mmseg_tool.py's fix applied."""
    import importlib.util

    path = osp.join(tool.mmseg_tools_dir(), key + '.py')
    spec = importlib.util.spec_from_file_location('fixed_' + key.replace('/', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tool.FIXES[key](module)
    return module


def test_confusion_matrix_counts_more_than_15_classes():
    """The script's uint8 ``21 * gt + pred`` wraps around (VOC: 21 classes); the fix does not."""

    class VOCLike:
        METAINFO = dict(classes=tuple(str(i) for i in range(21)))
        ignore_index = 255
        reduce_zero_label = False

        def __init__(self, gts):
            self.gts = gts

        def __len__(self):
            return len(self.gts)

        def __getitem__(self, idx):
            from mmengine.structures import PixelData
            from mmseg.structures import SegDataSample

            sample = SegDataSample()
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(self.gts[idx])[None])
            return dict(data_samples=sample)

    gt = np.array([[20, 20], [0, 255]], dtype=np.uint8)
    pred = np.array([[20, 19], [0, 3]], dtype=np.uint8)
    matrix = load_tool_with_fix('analysis_tools/confusion_matrix').calculate_confusion_matrix(
        VOCLike([gt]), [pred]
    )
    assert matrix[20, 20] == 1 and matrix[20, 19] == 1 and matrix[0, 0] == 1 and matrix.sum() == 3


def test_analyze_logs_of_a_training_run(stage1, capsys, tmp_path):
    curve = tmp_path / 'loss.png'
    out = run(
        'analyze_logs',
        stage1['log'],
        '--keys',
        'loss',
        'mIoU',
        '--legend',
        'loss',
        'mIoU',
        '--backend',
        'Agg',
        '--out',
        curve,
        capsys=capsys,
    )
    assert 'metric is loss' in out and 'metric is mIoU' in out and f'save curve to: {curve}' in out
    assert curve.stat().st_size > 0
