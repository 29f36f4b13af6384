# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/test.py on a CAMClassifier checkpoint: MMSeg's IoUMetric, --out label PNGs and --show-dir
overlays."""

import glob
import os
import os.path as osp
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/drs/drs-fixed0.55_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')


def test_test_tool_scores_and_writes_overlays_and_labels(tmp_path):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=2, num_val=3, num_object_classes=4, image_size=32, seed=0
    )
    options = [
        'model.backbone.widen_factor=0.0625',
        'model.backbone.init_cfg=None',
        'model.decode_head.in_channels=32',
        'model.decode_head.channels=32',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.dataset.ann_file=ImageSets/Segmentation/val.txt',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=1',
        'custom_hooks=[]',
    ]
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(
        {
            'model.backbone.widen_factor': 0.0625,
            'model.backbone.init_cfg': None,
            'model.decode_head.in_channels': 32,
            'model.decode_head.channels': 32,
        }
    )
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'ckpt.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), ckpt)
    out = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/test.py'),
            CONFIG,
            ckpt,
            '--work-dir',
            str(tmp_path / 'work'),
            '--out',
            str(tmp_path / 'labels'),
            '--show-dir',
            str(tmp_path / 'vis'),
            '--cfg-options',
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert 'mIoU' in out.stdout + out.stderr and 'sweep/best_mIoU' in out.stdout + out.stderr
    assert len(glob.glob(str(tmp_path / 'labels' / '*.png'))) == 3
    assert len(glob.glob(str(tmp_path / 'vis' / '**' / '*.png'), recursive=True)) == 3
