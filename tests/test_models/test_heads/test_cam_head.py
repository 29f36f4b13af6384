# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.heads import CAMHead
from mmwsss.models.layers import DRS
from mmwsss.registry import MODELS


def _samples(labels):
    out = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_cls_label = torch.tensor(label, dtype=torch.float32)
        out.append(sample)
    return out


def test_full_size_parameter_counts():
    learn = dict(type='DRS', learnable=True)
    backbone = MODELS.build(dict(type='DRSVGG', act_cfg=learn))
    head = MODELS.build(dict(type='CAMHead', num_classes=20, act_cfg=learn))
    modules = list(backbone.modules()) + list(head.modules())
    total = sum(p.numel() for p in backbone.parameters()) + sum(
        p.numel() for p in head.parameters()
    )
    suppressors = sum(p.numel() for m in modules if isinstance(m, DRS) for p in m.parameters())
    assert total == 24_401_236
    assert suppressors == 2_596_864
    assert sum(isinstance(m, DRS) for m in modules) == 16

    fixed = dict(type='DRS', delta=0.55)
    total_fixed = sum(
        p.numel()
        for m in (
            MODELS.build(dict(type='DRSVGG', act_cfg=fixed)),
            MODELS.build(dict(type='CAMHead', num_classes=20, act_cfg=fixed)),
        )
        for p in m.parameters()
    )
    assert total_fixed == 24_401_236 - 2_596_864


def test_forward_logits_and_loss():
    torch.manual_seed(0)
    head = CAMHead(
        num_classes=3,
        in_channels=8,
        channels=6,
        act_cfg=dict(type='DRS', learnable=True),
        loss_weight=2.0,
    )
    feats = (torch.randn(2, 4, 5, 5), torch.randn(2, 8, 5, 5))
    cams = head(feats)
    assert cams.shape == (2, 3, 5, 5)
    logits = head.forward_logits(feats)
    assert torch.allclose(logits, cams.mean(dim=(2, 3)))
    labels = [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    losses = head.loss(feats, _samples(labels))
    y = torch.tensor(labels)
    p = torch.sigmoid(logits)
    by_hand = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    assert set(losses) == {'loss_cls'}
    assert torch.allclose(losses['loss_cls'], 2.0 * by_hand, atol=1e-6)
    losses['loss_cls'].backward()
    assert head.convs[1].fc.weight.grad is not None


def test_structure_and_init():
    torch.manual_seed(0)
    head = CAMHead(
        num_classes=20, in_channels=16, channels=64, act_cfg=dict(type='DRS', learnable=True)
    )
    head.init_weights()
    convs = [head.convs[0], head.convs[2], head.convs[4]]
    assert [c.kernel_size for c in convs] == [(3, 3)] * 3
    assert all(isinstance(head.convs[i], DRS) and head.convs[i].channels == 64 for i in (1, 3, 5))
    assert head.conv_cls.kernel_size == (1, 1)
    assert head.conv_cls.bias is not None
    for conv, fan_out in ((convs[1], 9 * 64), (head.conv_cls, 20)):
        assert torch.count_nonzero(conv.bias) == 0
        expected = (2.0 / fan_out) ** 0.5
        assert abs(conv.weight.std().item() - expected) / expected < 0.1
    # the suppressor keeps its own N(0, 0.01) init
    assert abs(head.convs[1].fc.weight.std().item() - 0.01) < 0.002


def test_localization_maps_by_hand():
    cams = torch.tensor([[[[-1.0, 1.0], [2.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]]])
    maps = CAMHead.localization_maps(cams, (3, 3), torch.tensor([[1.0, 0.0]]))
    # relu, then align_corners=True bilinear to 3 x 3
    up = torch.tensor([[0.0, 0.5, 1.0], [1.0, 1.75, 2.5], [2.0, 3.0, 4.0]])
    assert maps.shape == (1, 2, 3, 3)
    assert torch.allclose(maps[0, 0], up / (4.0 + 1e-5))
    assert torch.count_nonzero(maps[0, 1]) == 0
    unmasked = CAMHead.localization_maps(cams, (3, 3))
    assert torch.allclose(unmasked[0, 1], torch.full((3, 3), 1 / (1 + 1e-5)))


def test_bad_labels_and_arguments():
    head = CAMHead(num_classes=3, in_channels=4, channels=4, num_convs=1)
    feats = (torch.randn(1, 4, 3, 3),)
    with pytest.raises(ValueError, match='cam_head.py.*2 entries'):
        head.loss(feats, _samples([[1.0, 0.0]]))
    with pytest.raises(KeyError, match='gt_cls_label'):
        head.loss(feats, [SegDataSample()])
    with pytest.raises(ValueError, match='num_classes'):
        CAMHead(num_classes=0)
    assert F.relu(head(feats)).shape == (1, 3, 3, 3)
