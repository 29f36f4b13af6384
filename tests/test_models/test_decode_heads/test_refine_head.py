# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.decode_heads import RefineHead, argmax_masked_target
from mmwsss.registry import MODELS


def _samples(maps, metas=None):
    out = []
    for i, m in enumerate(maps):
        sample = SegDataSample(metainfo=(metas[i] if metas else {}))
        sample.gt_loc_map = PixelData(data=m)
        out.append(sample)
    return out


def test_argmax_masked_target_by_hand():
    maps = torch.tensor(
        [
            [[0.9, 0.2], [0.0, 0.5]],  # class 1
            [[0.3, 0.7], [0.0, 0.5]],  # class 2
            [[0.1, 0.1], [0.0, 0.4]],  # class 3
        ]
    )
    expected = torch.tensor(
        [
            [[0.9, 0.0], [0.0, 0.5]],
            [[0.0, 0.7], [0.0, 0.5]],  # a tie keeps both, as the official mask
            [[0.0, 0.0], [0.0, 0.0]],
        ]
    )
    assert torch.equal(argmax_masked_target(maps), expected)
    batched = argmax_masked_target(torch.stack([maps, maps.flip(0)]))
    assert torch.equal(batched[1], expected.flip(0))
    with pytest.raises(ValueError, match=r'\(\.\.\., K, H, W\)'):
        argmax_masked_target(torch.zeros(3, 4))


def test_full_size_parameter_count():
    """VGG16 convs (torchvision: 14,714,688) + 3 x (3x3 512->512) + 1x1 to
    the 20 VOC foreground classes (no background channel, as the official
    refinement network)."""
    backbone = MODELS.build(dict(type='DRSVGG', act_cfg=dict(type='ReLU')))
    head = MODELS.build(dict(type='RefineHead', num_classes=20))
    vgg = sum(p.numel() for p in backbone.parameters())
    extra = 3 * (512 * 512 * 9 + 512) + (512 * 20 + 20)
    assert vgg == 14_714_688
    assert sum(p.numel() for p in head.parameters()) == extra == 7_089_684
    assert vgg + extra == 21_804_372
    assert [m.kernel_size for m in head.convs if isinstance(m, nn.Conv2d)] == [(3, 3)] * 3
    assert head.conv_seg.kernel_size == (1, 1)
    assert sum(isinstance(m, nn.ReLU) for m in head.modules()) == 3
    assert head.conv_seg.out_channels == 20 and head.dropout is None
    assert not hasattr(head, 'loss_decode')


def test_init_is_normal_0_01_with_zero_bias():
    torch.manual_seed(0)
    head = RefineHead(num_classes=4, in_channels=64, channels=64)
    head.init_weights()
    for conv in [m for m in head.modules() if isinstance(m, nn.Conv2d)]:
        assert abs(conv.weight.std().item() - 0.01) < 0.002
        assert abs(conv.weight.mean().item()) < 0.002
        assert torch.count_nonzero(conv.bias) == 0


def test_forward_and_loss_by_hand():
    torch.manual_seed(0)
    head = RefineHead(num_classes=3, in_channels=4, channels=5, loss_weight=2.0)
    feats = (torch.randn(2, 7, 3, 3), torch.randn(2, 4, 3, 3))
    out = head(feats)
    assert out.shape == (2, 3, 3, 3)
    maps = torch.randint(0, 256, (2, 3, 9, 9), dtype=torch.uint8)
    losses = head.loss(feats, _samples(maps), None)
    up = F.interpolate(out, size=(9, 9), mode='bilinear', align_corners=True)
    target = argmax_masked_target(maps.float() / 255.0)
    assert set(losses) == {'loss_refine'}
    assert torch.allclose(losses['loss_refine'], 2.0 * ((up - target) ** 2).mean(), atol=1e-6)
    # float targets in [0, 1] are taken as they are
    losses_f = head.loss(feats, _samples(maps.float() / 255.0), None)
    assert torch.allclose(losses_f['loss_refine'], losses['loss_refine'])


def test_padded_batch_ignores_the_padding():
    torch.manual_seed(0)
    head = RefineHead(num_classes=2, in_channels=4, channels=4)
    out = torch.randn(2, 2, 4, 4)
    small = torch.randint(0, 256, (2, 6, 5), dtype=torch.uint8)
    full = torch.randint(0, 256, (2, 8, 8), dtype=torch.uint8)
    metas = [dict(padding_size=(0, 3, 0, 2)), dict(padding_size=(0, 0, 0, 0))]
    loss = head.loss_by_feat(out, _samples([small, full], metas))
    up = F.interpolate(out, size=(8, 8), mode='bilinear', align_corners=True)
    err = torch.cat(
        [
            (up[0, :, :6, :5] - argmax_masked_target(small / 255.0)).flatten(),
            (up[1] - argmax_masked_target(full / 255.0)).flatten(),
        ]
    )
    assert torch.allclose(loss['loss_refine'], (err**2).mean(), atol=1e-6)
    bad = [dict(padding_size=(0, 3, 0, 2)), dict(padding_size=(0, 1, 0, 0))]
    with pytest.raises(ValueError, match='do not give one batch input size'):
        head.loss_by_feat(out, _samples([small, full], bad))


def test_loss_decreases_with_adam():
    torch.manual_seed(0)
    head = RefineHead(num_classes=2, in_channels=8, channels=16)
    head.init_weights()
    feats = (torch.randn(2, 8, 8, 8),)
    maps = torch.zeros(2, 2, 32, 32, dtype=torch.uint8)
    maps[:, 0, 4:20, 4:20] = 200
    maps[:, 1, 12:30, 10:28] = 150
    samples = _samples(maps)
    optim = torch.optim.Adam(head.parameters(), lr=3e-3)
    losses = []
    for _ in range(10):
        loss = head.loss(feats, samples, None)['loss_refine']
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.9 * losses[0]


def test_localization_maps_upsample_clip_and_mask():
    head = RefineHead(num_classes=2, in_channels=4, channels=4)
    out = torch.tensor([[[[-1.0, 2.0], [0.5, 0.25]], [[0.3, 0.3], [0.3, 0.3]]]])
    maps = head.localization_maps(out, (3, 3))
    assert maps.shape == (1, 2, 3, 3)
    assert maps.min() >= 0
    # the negative corner is clipped to 0, the one above 1 kept (the official max with zeros)
    assert maps[0, 0, 0, 0] == 0 and maps[0, 0, 0, 2] == 2
    assert torch.allclose(maps[0, 0, 2, 1], torch.tensor(0.375))  # centre
    masked = head.localization_maps(out, (3, 3), torch.tensor([[0.0, 1.0]]))
    assert masked[0, 0].abs().sum() == 0 and torch.equal(masked[0, 1], maps[0, 1])


def test_errors():
    head = RefineHead(num_classes=3, in_channels=4, channels=4)
    feats = (torch.randn(1, 4, 2, 2),)
    with pytest.raises(KeyError, match='has no gt_loc_map; add LoadLocalizationMaps'):
        head.loss(feats, [SegDataSample()], None)
    with pytest.raises(
        ValueError,
        match=r'shape \(2, 4, 4\) but '
        'RefineHead.num_classes is 3',
    ):
        head.loss(feats, _samples(torch.zeros(1, 2, 4, 4)), None)
    with pytest.raises(KeyError, match='has no gt_cls_label'):
        head.stack_labels([SegDataSample()])
    with pytest.raises(ValueError, match='num_classes must be a positive'):
        RefineHead(num_classes=0)
    with pytest.raises(ValueError, match="loss_name must start with 'loss'"):
        RefineHead(num_classes=2, loss_name='mse')
