# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/train.py and tools/dist_train.sh on a real synthetic stage-1 config, shrunk by
--cfg-options: a few iterations in one process, --resume continuing from the last checkpoint under
weights-only loading, and two gloo processes on the CPU."""

import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from mmwsss.datasets import generate_synthetic_benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
NUM_TRAIN = 8


@pytest.fixture
def data_root(tmp_path) -> str:
    root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        root, num_train=NUM_TRAIN, num_val=2, num_object_classes=4, image_size=32, seed=0
    )
    return root


def _options(data_root: str, epochs: int) -> list:
    return [
        'model.backbone.widen_factor=0.0625',
        'model.backbone.init_cfg=None',
        'model.decode_head.in_channels=32',
        'model.decode_head.channels=16',
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        # the Runner builds the validation loop (and its data) when training starts
        f'val_dataloader.dataset.data_root={data_root}',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        f'train_cfg.max_epochs={epochs}',
        'train_cfg.val_interval=100',
        'param_scheduler=[]',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'custom_hooks=[]',
    ]


def _run(cmd: list, cwd: str, **env) -> subprocess.CompletedProcess:
    out = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1', **env),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def _meta(path: str) -> dict:
    # the checkpoint loads through the allow-listed weights-only unpickler that mmwsss installs
    from mmengine.runner import CheckpointLoader

    import mmwsss  # noqa: F401  (registers its modules)

    return CheckpointLoader.load_checkpoint(path, map_location='cpu')['meta']


def test_train_then_resume_continues_from_the_last_checkpoint(data_root, tmp_path):
    work = str(tmp_path / 'work')
    train = [sys.executable, osp.join(ROOT, 'tools/train.py'), CONFIG, '--work-dir', work]
    _run(train + ['--cfg-options', *_options(data_root, epochs=1)], cwd=ROOT)
    first = osp.join(work, 'epoch_1.pth')
    assert _meta(first)['iter'] == NUM_TRAIN // 2
    weights = torch.load(first, map_location='cpu', weights_only=False)['state_dict']

    out = _run(train + ['--resume', '--cfg-options', *_options(data_root, epochs=2)], cwd=ROOT)
    assert 'resumed epoch: 1' in (out.stdout + out.stderr).lower()
    second = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert second['meta']['iter'] == 2 * NUM_TRAIN // 2  # continued, not restarted
    moved = [
        k
        for k, v in weights.items()
        if v.is_floating_point() and not torch.equal(v, second['state_dict'][k])
    ]
    assert moved, 'the resumed epoch did not train'


def test_dist_train_sh_with_two_cpu_processes(data_root, tmp_path):
    work = str(tmp_path / 'work')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    _run(
        [
            'bash',
            osp.join(ROOT, 'tools/dist_train.sh'),
            CONFIG,
            '2',
            '--work-dir',
            work,
            '--cfg-options',
            *_options(data_root, epochs=1),
        ],
        cwd=ROOT,
        PORT=str(port),
        PYTHON=sys.executable,
    )
    # two ranks share the 8 images: 2 images a rank per iteration, so 2 iterations in the epoch
    assert _meta(osp.join(work, 'epoch_1.pth'))['iter'] == NUM_TRAIN // (2 * 2)
