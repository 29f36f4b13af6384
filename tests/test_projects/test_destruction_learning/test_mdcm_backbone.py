# Copyright (c) mmwsss contributors. All rights reserved.
"""MDCMBackbone: the patch branch, its independence per patch, aggregation."""

import pytest
import torch

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import MODELS
from projects.destruction_learning.destruction_learning import MDCMBackbone

VGG = dict(type='DRSVGG', widen_factor=0.0625, act_cfg=dict(type='DRS', learnable=True))
RESNET = dict(
    type='ResNetV1c',
    depth=18,
    base_channels=8,
    stem_channels=8,
    out_indices=(3,),
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    norm_eval=True,
)


def build(backbone, **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='MDCMBackbone', backbone=backbone, **kwargs))
    return model.eval()


@pytest.mark.parametrize(
    'backbone, split, size',
    [(VGG, 2, (40, 24)), (VGG, 0, (30, 21)), (RESNET, 1, (36, 28)), (RESNET, 0, (33, 29))],
)
def test_1x1_grid_is_the_plain_path(backbone, split, size):
    model = build(backbone, split_stage=split, grid_size=1, aggregation='concat')
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        (plain,) = model.backbone(x)
        early, (full,), (patch,) = model.forward_branches(x)
        (concat,) = model(x)
        model.aggregation = 'sum'
        (summed,) = model(x)
    assert early == ()
    assert torch.equal(full, plain)
    assert torch.allclose(patch, plain, atol=1e-6)
    assert torch.allclose(concat, torch.cat([plain, plain], 1), atol=1e-6)
    assert torch.allclose(summed, 2 * plain, atol=1e-5)


@pytest.mark.parametrize('backbone, split, channels', [(VGG, 2, 16), (RESNET, 1, 16)])
def test_2x2_grid_each_patch_is_processed_alone(backbone, split, channels):
    model = build(backbone, split_stage=split, grid_size=2)
    feat = torch.rand(1, channels, 8, 8)
    changed = feat.clone()
    changed[0, :, 5, 2] += 3.0  # inside the bottom-left patch (rows 4-7, cols 0-3)
    with torch.no_grad():
        (full_a,), (full_b,) = model.forward_later(feat), model.forward_later(changed)
        sizes = [full_a.shape[-2:]]
        (patch_a,) = model.patch_branch(feat, sizes)
        (patch_b,) = model.patch_branch(changed, sizes)
    assert patch_a.shape == full_a.shape == (1, patch_a.shape[1], 8, 8)
    diff = (patch_b - patch_a).abs().sum(1)[0]
    assert diff[4:, :4].max() > 0  # that patch's output changes...
    outside = diff.clone()
    outside[4:, :4] = 0
    assert outside.max() == 0  # ...and no other patch's does
    # the full path, by contrast, carries the change across the patch borders
    full_diff = (full_b - full_a).abs().sum(1)[0]
    full_diff[4:, :4] = 0
    assert full_diff.max() > 0


@pytest.mark.parametrize(
    'backbone, split, size',
    [(VGG, 0, (50, 70)), (VGG, 2, (45, 37)), (RESNET, 0, (50, 70)), (RESNET, 1, (41, 23))],
)
def test_padding_to_the_grid_keeps_the_plain_shapes(backbone, split, size):
    model = build(backbone, split_stage=split, grid_size=(2, 3), aggregation='sum')
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        (plain,) = model.backbone(x)
        _, feat = model.forward_early(x)
        patches = model.distribute(feat)
        (out,) = model(x)
    assert out.shape == plain.shape
    assert patches.shape[0] == 6
    s = model.rest_stride
    assert patches.shape[-2] % s == 0 and patches.shape[-1] % s == 0
    assert patches.shape[-2] * 2 >= feat.shape[-2] and patches.shape[-1] * 3 >= feat.shape[-1]
    # the patches tile the map row by row; the zero padding sits at the bottom/right
    hp, wp = patches.shape[-2:]
    padded = feat.new_zeros(feat.shape[:2] + (2 * hp, 3 * wp))
    padded[..., : feat.shape[-2], : feat.shape[-1]] = feat
    for k in range(6):
        r, c = divmod(k, 3)
        assert torch.equal(patches[k], padded[0, :, r * hp : (r + 1) * hp, c * wp : (c + 1) * wp])


def test_more_outputs_and_gradients():
    backbone = dict(VGG, out_indices=(1, 4))
    model = build(backbone, split_stage=2, grid_size=2).train()
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    early, agg = model(x)
    plain = model.backbone(x)
    assert early.shape == plain[0].shape and torch.allclose(early, plain[0])
    assert agg.shape == (2, 2 * plain[1].shape[1]) + plain[1].shape[2:]
    agg.sum().backward()
    first = model.backbone.features[0].weight.grad
    last = model.backbone.features[28].weight.grad
    assert first is not None and first.abs().sum() > 0 and last.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='split_stage must be an int in'):
        MDCMBackbone(VGG, split_stage=4)
    with pytest.raises(ValueError, match='aggregation must be one of'):
        MDCMBackbone(VGG, aggregation='mean')
    with pytest.raises(ValueError, match='grid_size'):
        MDCMBackbone(VGG, grid_size=0)
    with pytest.raises(TypeError, match='cannot split MobileNetV2'):
        MDCMBackbone(dict(type='MobileNetV2', widen_factor=0.25))
