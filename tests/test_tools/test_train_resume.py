# Copyright (c) mmwsss contributors. All rights reserved.
"""A run killed (SIGKILL, mid-epoch 3) and resumed with ``tools/train.py --resume`` ends exactly
where an uninterrupted 4-epoch run ends: weights, optimizer, schedulers, message hub, metrics.

The kill is real: a test-only hook SIGKILLs the process group (ranks, launcher, data-loader workers)
in the middle of epoch 3, after ``epoch_2.pth`` was written; the resumed run is the unchanged
4-epoch command plus ``--resume``, so schedule and ``max_epochs`` are those of the straight run.
Tiny stages (1/16 width, 32 px, 8 images, batch 2: 4 iterations an epoch) on the CPU.
"""

import socket

import pytest
import torch
from resume_helpers import (
    ROOT,
    assert_same_training_state,
    kill_and_resume,
    last_val_metrics,
    run,
    train_cmd,
    write_configs,
)

from mmwsss.datasets import generate_synthetic_benchmark

EPOCHS = 4
STAGE1 = f'{ROOT}/configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
PSS_EMA = (
    f'{ROOT}/projects/pixel_self_supervision/configs/'
    'rcm-mam-ema_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
)
STAGE3 = f'{ROOT}/configs/drs/deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-gt-256x256.py'


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('resume') / 'syn')
    generate_synthetic_benchmark(
        root, num_train=8, num_val=2, num_object_classes=4, image_size=32, seed=0
    )
    return root


def _loader(data_root: str, workers: int, persistent: bool) -> str:
    return (
        f'dict(batch_size=2, num_workers={workers}, persistent_workers={persistent}, '
        f'dataset=dict(data_root={data_root!r}))'
    )


def _stage1_lines(data_root: str, workers: int = 0, persistent: bool = False) -> list:
    """DRS stage 1 (learnable suppressors), with a lr step inside the run and a final validation."""
    return [
        f'_base_ = [{STAGE1!r}]',
        "custom_imports = dict(imports=['mmwsss', 'kill_hook'], allow_failed_imports=False)",
        'model = dict(backbone=dict(widen_factor=0.0625, init_cfg=None), '
        'decode_head=dict(in_channels=32, channels=16))',
        f'train_dataloader = {_loader(data_root, workers, persistent)}',
        'val_dataloader = dict(num_workers=0, persistent_workers=False, '
        f'dataset=dict(data_root={data_root!r}))',
        'test_dataloader = val_dataloader',
        f'train_cfg = dict(max_epochs={EPOCHS}, val_interval={EPOCHS})',
        "param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)]",
        'default_hooks = dict(checkpoint=dict(max_keep_ckpts=1), logger=dict(interval=1))',
        'custom_hooks = []',
    ]


@pytest.fixture(scope='module')
def stage1_straight(data_root, tmp_path_factory) -> tuple:
    """The uninterrupted stage-1 run (no workers): its last checkpoint and validation."""
    tmp = tmp_path_factory.mktemp('stage1_straight')
    config, _ = write_configs(tmp, 'stage1', _stage1_lines(data_root))
    work = str(tmp / 'work')
    run(train_cmd(config, work))
    return f'{work}/epoch_{EPOCHS}.pth', last_val_metrics(work)


@pytest.mark.parametrize('workers, persistent', [(0, False), (2, True), (2, False)])
def test_stage1_killed_and_resumed_ends_as_the_straight_run(
    data_root, stage1_straight, tmp_path, workers, persistent
):
    # the reference ran without workers: the data must not depend on them either
    config, killed = write_configs(
        tmp_path, 'stage1', _stage1_lines(data_root, workers, persistent)
    )
    work = str(tmp_path / 'work')
    final = kill_and_resume(config, killed, work, EPOCHS)
    assert_same_training_state(stage1_straight[0], final)
    metrics = last_val_metrics(work)
    assert metrics == stage1_straight[1] and 'sweep/best_mIoU' in metrics


def _straight_and_resumed(tmp_path, lines: list, nproc: int = 1) -> tuple:
    port = None
    if nproc > 1:
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
    config, killed = write_configs(tmp_path, 'stage', lines)
    straight = str(tmp_path / 'straight')
    run(train_cmd(config, straight, nproc, port))
    final = kill_and_resume(
        config, killed, str(tmp_path / 'resumed'), EPOCHS, nproc=nproc, port=port
    )
    return f'{straight}/epoch_{EPOCHS}.pth', final


def test_stage1_on_two_gloo_ranks_killed_and_resumed_ends_as_the_straight_run(data_root, tmp_path):
    lines = _stage1_lines(data_root, workers=1, persistent=True)
    lines[lines.index(f'train_cfg = dict(max_epochs={EPOCHS}, val_interval={EPOCHS})')] = (
        f'train_cfg = dict(max_epochs={EPOCHS}, val_interval=100)'
    )
    straight, resumed = _straight_and_resumed(tmp_path, lines, nproc=2)
    assert_same_training_state(straight, resumed)
    assert torch.load(straight, weights_only=False)['meta']['iter'] == EPOCHS * 2


def test_pss_ema_stage_killed_and_resumed_ends_as_the_straight_run(data_root, tmp_path):
    """Pixel self-supervision with the EMA SupportNet (part of the model's state dict) and the
    warm-up counted by a model buffer, 2 persistent workers."""
    lines = [
        f'_base_ = [{PSS_EMA!r}]',
        "custom_imports = dict(imports=['mmwsss', "
        "'projects.pixel_self_supervision.pixel_self_supervision', 'kill_hook'], "
        'allow_failed_imports=False)',
        'model = dict(backbone=dict(widen_factor=0.0625, init_cfg=None), '
        'decode_head=dict(in_channels=32, channels=16), warmup_iters=6, ema_momentum=0.5)',
        f'train_dataloader = {_loader(data_root, 2, True)}',
        f'train_cfg = dict(max_epochs={EPOCHS}, val_interval=100)',
        'val_cfg = None',
        'val_dataloader = None',
        'val_evaluator = None',
        'param_scheduler = []',
        "custom_hooks = [dict(type='SupportNetEMAHook', interval=1)]",
    ]
    straight, resumed = _straight_and_resumed(tmp_path, lines)
    assert_same_training_state(straight, resumed)
    state = torch.load(resumed, weights_only=False)['state_dict']
    assert any(k.startswith('support_net.') for k in state)


def test_stage3_with_dropout_killed_and_resumed_ends_as_the_straight_run(data_root, tmp_path):
    """MMSeg's DeepLabV3+ (dropout in both heads: model-side randomness) and MMSeg's augmentation
    (RandomResize, RandomCrop, RandomFlip, PhotoMetricDistortion), without workers."""
    lines = [
        f'_base_ = [{STAGE3!r}]',
        "custom_imports = dict(imports=['mmwsss', 'kill_hook'], allow_failed_imports=False)",
        'train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, '
        f'dataset=dict(data_root={data_root!r}))',
        f'train_cfg = dict(max_epochs={EPOCHS}, val_interval=100)',
        'val_cfg = None',
        'val_dataloader = None',
        'val_evaluator = None',
        "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, by_epoch=True, begin=0, "
        f'end={EPOCHS})]',
        'default_hooks = dict(checkpoint=dict(interval=1))',
        'custom_hooks = []',
    ]
    straight, resumed = _straight_and_resumed(tmp_path, lines)
    assert_same_training_state(straight, resumed)
