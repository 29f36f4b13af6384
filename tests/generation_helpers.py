# Copyright (c) mmwsss contributors. All rights reserved.
"""A tiny synthetic benchmark and a tiny untrained DRS classifier for the generation tests."""

import torch

from mmwsss.registry import MODELS

NUM_FG = 3
IMAGE_SIZE = 40
NUM_IMAGES = 6
# generation input: a square 48 resize (the official recipe uses 320), then scales 32 and 48
GEN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='PackSegInputs'),
]
SCALES = (32, 48)


def tiny_model_cfg() -> dict:
    act = dict(type='DRS', delta=0.55)
    return dict(
        type='CAMClassifier',
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
        ),
        backbone=dict(type='DRSVGG', widen_factor=0.0625, act_cfg=act),
        decode_head=dict(
            type='CAMHead', num_classes=NUM_FG, in_channels=32, channels=8, num_convs=1, act_cfg=act
        ),
    )


def dataset_cfg(root: str, saliency: bool = True, **kwargs) -> dict:
    prefix = dict(
        img_path='JPEGImages',
        seg_map_path='SegmentationClass',
        sal_path='SaliencyMap' if saliency else None,
    )
    return dict(
        type='SyntheticWSSSDataset',
        data_root=root,
        data_prefix=prefix,
        pipeline=GEN_PIPELINE,
        **kwargs,
    )


def build_tiny_model(seed: int = 0, **head) -> torch.nn.Module:
    """The tiny classifier with He-initialised convs (as its init_cfg, without the init log)."""
    cfg = tiny_model_cfg()
    cfg['decode_head'].update(head)
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
            torch.nn.init.zeros_(module.bias)
    return model.eval()
