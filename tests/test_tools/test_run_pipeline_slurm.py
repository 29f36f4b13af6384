# Copyright (c) mmwsss contributors. All rights reserved.
"""``tools/run_pipeline.py --launcher slurm`` without SLURM: two tasks started the way srun starts
them (only the SLURM_* variables tell them apart) form one gloo group on the CPU and run a tiny
one-stage pipeline; ``tools/slurm_pipeline.sh`` hands srun the right command."""

import json
import os
import os.path as osp
import socket
import subprocess
import sys

from mmwsss.datasets import generate_synthetic_benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE1 = 'configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('SLURM_', 'MASTER_')) and k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK')
    }
    env.update(OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='', PYTHONPATH=ROOT, **extra)
    return env


def test_two_slurm_tasks_run_one_pipeline(tmp_path):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=8, num_val=2, num_object_classes=4, image_size=32, seed=0
    )
    loader = dict(
        batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root)
    )
    tiny = {
        'model.backbone.widen_factor': 1 / 16,
        'model.backbone.init_cfg': None,
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 32,
        'train_dataloader': loader,
        'val_dataloader': loader,
        'test_dataloader': loader,
        'custom_hooks.0.dataset.data_root': data_root,
        'custom_hooks.0.batch_size': 4,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
    }
    spec = dict(
        method='CAM',
        backbone='tiny',
        dataset='synthetic-tiny',
        seed=0,
        stages=[
            dict(
                name='stage1',
                kind='localization',
                config=STAGE1,
                cfg_options=tiny,
                metric='sweep/best_mIoU',
            )
        ],
    )
    pipeline = tmp_path / 'pipeline_tiny.py'
    pipeline.write_text(f'pipeline = {spec!r}\n')
    work_dir = str(tmp_path / 'run')
    port = str(_free_port())
    procs = []
    for rank in range(2):  # what srun --ntasks 2 on one node would set
        env = _clean_env(
            SLURM_PROCID=str(rank),
            SLURM_NTASKS='2',
            SLURM_LOCALID=str(rank),
            SLURM_NODELIST='localhost',
            MASTER_PORT=port,
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    osp.join(ROOT, 'tools/run_pipeline.py'),
                    str(pipeline),
                    '--work-dir',
                    work_dir,
                    '--launcher',
                    'slurm',
                    '--precision',
                    'fp32',
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outs = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise
        outs.append(out)
        assert proc.returncode == 0, out[-4000:]
    assert 'Distributed launcher: slurm' in outs[0]
    assert 'Distributed training: True' in outs[0] and 'GPU number: 2' in outs[0]
    # the stage table is printed by rank 0 only
    header = '| stage | output | split | mIoU |'
    assert [header in out for out in outs] == [True, False]
    with open(osp.join(work_dir, 'pipeline_results.json')) as f:
        summary = json.load(f)
    assert [s['stage'] for s in summary['stages']] == ['stage1']
    # the maps of all 8 training images, written by the two ranks together
    assert len(os.listdir(osp.join(work_dir, 'stage1', 'pseudo_labels', 'maps'))) == 8


def test_slurm_pipeline_script_hands_srun_the_pipeline(tmp_path):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$SRUN_LOG"\n')
    (fake / 'srun').chmod(0o755)
    log = tmp_path / 'srun.log'
    env = _clean_env(
        PATH=f'{fake}:{os.environ["PATH"]}', SRUN_LOG=str(log), GPUS='16', PYTHON='python3'
    )
    out = subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools/slurm_pipeline.sh'),
            'part',
            'job',
            'configs/drs/pipelines/pipeline_drs_voc12aug.py',
            '--precision',
            'fp32',
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    args = log.read_text().split('\n')
    assert args[:6] == [
        '-p',
        'part',
        '--job-name=job',
        '--gres=gpu:8',
        '--ntasks=16',
        '--ntasks-per-node=8',
    ]
    tail = args[args.index('python3') :]
    assert tail[1] == '-u' and tail[2].endswith('tools/run_pipeline.py')
    assert tail[3:7] == [
        'configs/drs/pipelines/pipeline_drs_voc12aug.py',
        '--launcher=slurm',
        '--precision',
        'fp32',
    ]
