# Copyright (c) mmwsss contributors. All rights reserved.
"""The EMA SupportNet under DDP: two gloo processes of tools/train.py end with the same SupportNet
(and MainNet) on both ranks, and the SupportNet has moved."""

import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from mmwsss.datasets import generate_synthetic_benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
HERE = osp.dirname(osp.abspath(__file__))
BASE = osp.join(
    ROOT,
    'projects/pixel_self_supervision/configs/'
    'rcm-mam-ema_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
)


def test_ema_support_net_stays_in_sync_across_two_ranks(tmp_path):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=8, num_val=0, num_object_classes=4, image_size=32, seed=0
    )
    config = tmp_path / 'ema_ddp.py'
    config.write_text(
        '\n'.join(
            [
                f'_base_ = [{BASE!r}]',
                "custom_imports = dict(imports=['mmwsss', "
                "'projects.pixel_self_supervision.pixel_self_supervision', 'rank_dump_hook'], "
                'allow_failed_imports=False)',
                'model = dict(backbone=dict(widen_factor=0.0625, init_cfg=None), '
                'decode_head=dict(in_channels=32, channels=16), warmup_iters=0, ema_momentum=0.5)',
                'train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, '
                f'dataset=dict(data_root={data_root!r}))',
                'train_cfg = dict(max_epochs=1, val_interval=100)',
                # no validation: the Runner would build its loop (and read data/synthetic) at
                # the start
                'val_cfg = None',
                'val_dataloader = None',
                'val_evaluator = None',
                'param_scheduler = []',
                "custom_hooks = [dict(type='SupportNetEMAHook', interval=1), "
                "dict(type='RankDumpHook')]",
            ]
        )
        + '\n'
    )
    work = tmp_path / 'work'
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    out = subprocess.run(
        [
            torchrun,
            '--nproc_per_node',
            '2',
            '--master_addr',
            '127.0.0.1',
            '--master_port',
            str(port),
            osp.join(ROOT, 'tools/train.py'),
            str(config),
            '--work-dir',
            str(work),
            '--launcher',
            'pytorch',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([ROOT, HERE])),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    start = torch.load(work / 'rank0_start.pth')
    ends = [torch.load(work / f'rank{r}_end.pth') for r in (0, 1)]
    support = [k for k in start if k.startswith('support_') and start[k].is_floating_point()]
    main = [k for k in start if k.startswith(('backbone.', 'decode_head.'))]
    assert support and main
    for key in support + main:
        assert torch.equal(ends[0][key], ends[1][key]), f'{key} differs between the ranks'
    moved = [k for k in support if not torch.equal(start[k], ends[0][k])]
    assert moved, 'the EMA SupportNet did not move'
