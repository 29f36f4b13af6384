# Copyright (c) mmwsss contributors. All rights reserved.
"""A tiny stage-1 config (synthetic data, tiny DRS classifier) with a PseudoLabelHook."""

import os.path as osp

from generation_helpers import NUM_FG, NUM_IMAGES, tiny_model_cfg

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
__all__ = ['REPO', 'NUM_FG', 'NUM_IMAGES', 'write_stage1_config']


def write_stage1_config(path: str, data_root: str, **hook_args) -> str:
    """Write a 1-epoch, 3-iteration stage-1 config whose PseudoLabelHook writes to ``pl``."""
    model = tiny_model_cfg()
    model['data_preprocessor']['size'] = (40, 40)
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='PackWSSSInputs'),
    ]
    gen_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(48, 48), keep_ratio=False),
        dict(type='PackSegInputs'),
    ]
    hook = dict(
        type='PseudoLabelHook',
        dataset=dict(type='SyntheticWSSSDataset', data_root=data_root, pipeline=gen_pipeline),
        out_dir='pl',
        scales=(32, 48),
        batch_size=2,
    )
    hook.update(hook_args)
    lines = [
        f'_base_ = [{osp.join(REPO, "configs", "_base_", "default_runtime.py")!r}]',
        f'model = {model!r}',
        'train_dataloader = '
        + repr(
            dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='SyntheticWSSSDataset', data_root=data_root, pipeline=train_pipeline
                ),
            )
        ),
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))",
        'param_scheduler = []',
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=100)",
        'val_cfg = None',
        'val_dataloader = None',
        'val_evaluator = None',
        'test_cfg = None',
        'test_dataloader = None',
        'test_evaluator = None',
        "default_hooks = dict(logger=dict(type='LoggerHook', interval=1), "
        "checkpoint=dict(type='CheckpointHook', interval=1))",
        "visualizer = dict(_delete_=True, type='SegLocalVisualizer', "
        "vis_backends=[dict(type='LocalVisBackend')])",
        "env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'), "
        "mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))",
        "log_level = 'WARNING'",
        f'custom_hooks = [{hook!r}]',
    ]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)
