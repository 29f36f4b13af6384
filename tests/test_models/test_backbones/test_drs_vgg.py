# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.backbones import DRSVGG
from mmwsss.models.layers import DRS
from mmwsss.registry import MODELS

TORCHVISION_CONVS = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


def test_full_size_output_stride_8():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='DRSVGG', act_cfg=dict(type='DRS', learnable=True)))
    model.eval()
    with torch.no_grad():
        (out,) = model(torch.randn(1, 3, 320, 320))
    assert out.shape == (1, 512, 40, 40)
    assert out.min() >= 0
    assert model.stage_channels == [64, 128, 256, 512, 512]


def test_topology_and_torchvision_names():
    model = DRSVGG(act_cfg=dict(type='DRS', learnable=True), widen_factor=0.125)
    convs = [(i, m) for i, m in enumerate(model.features) if isinstance(m, nn.Conv2d)]
    assert tuple(i for i, _ in convs) == TORCHVISION_CONVS
    assert [m.out_channels for _, m in convs] == [8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64]
    assert [m.dilation[0] for _, m in convs] == [1] * 10 + [2] * 3
    assert [m.padding[0] for _, m in convs] == [1] * 10 + [2] * 3
    # a learnable suppressor after every conv, told its channel count
    for i, conv in convs:
        act = model.features[i + 1]
        assert isinstance(act, DRS) and act.channels == conv.out_channels
    pools = [m for m in model.features if isinstance(m, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride, p.padding) for p in pools] == [(2, 2, 0)] * 3 + [(3, 1, 1)]
    names = {k for k in model.state_dict() if not k.endswith('fc.weight')}
    assert names == {f'features.{i}.{p}' for i in TORCHVISION_CONVS for p in ('weight', 'bias')}


def test_out_indices_and_shapes():
    model = DRSVGG(widen_factor=0.125, out_indices=(0, 1, 2, 3, 4))
    outs = model(torch.randn(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [
        (2, 8, 16, 16),
        (2, 16, 8, 8),
        (2, 32, 4, 4),
        (2, 64, 4, 4),
        (2, 64, 4, 4),
    ]
    (only,) = DRSVGG(widen_factor=0.125, out_indices=2)(torch.randn(1, 3, 32, 32))
    assert only.shape == (1, 32, 4, 4)


def test_act_cfg_variants():
    relu = DRSVGG(widen_factor=0.0625)
    fixed = DRSVGG(widen_factor=0.0625, act_cfg=dict(type='DRS', delta=0.55))
    learn = DRSVGG(widen_factor=0.0625, act_cfg=dict(type='DRS', learnable=True))

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert count(relu) == count(fixed)
    assert isinstance(relu.features[1], nn.ReLU)
    widths = [4, 4, 8, 8, 16, 16, 16, 32, 32, 32, 32, 32, 32]
    assert count(learn) - count(relu) == sum(c * c for c in widths)
    assert learn.stage_channels == [4, 8, 16, 32, 32]


def test_stage_with_act_puts_the_suppressors_in_chosen_stages_only():
    conv5 = DRSVGG(
        widen_factor=0.0625,
        act_cfg=dict(type='DRS', learnable=True),
        stage_with_act=(False, False, False, False, True),
    )
    acts = [m for i, m in enumerate(conv5.features) if i - 1 in TORCHVISION_CONVS]
    assert [type(m).__name__ for m in acts] == ['ReLU'] * 10 + ['DRS'] * 3
    # only conv5's three learnable suppressors have weights (32 channels each)
    plain = DRSVGG(widen_factor=0.0625)
    extra = sum(p.numel() for p in conv5.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == 3 * 32 * 32
    # with every flag off the network computes what the plain one computes
    off = DRSVGG(widen_factor=0.0625, act_cfg=dict(type='DRS'), stage_with_act=(False,) * 5)
    off.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(off(x)[0], plain(x)[0])


def test_default_init_is_kaiming_fan_out_with_zero_bias():
    torch.manual_seed(0)
    model = DRSVGG(widen_factor=0.5)
    model.init_weights()
    conv = model.features[28]  # 256 -> 256, 3 x 3
    assert torch.count_nonzero(conv.bias) == 0
    expected = (2.0 / (9 * 256)) ** 0.5
    assert abs(conv.weight.std().item() - expected) / expected < 0.05


def test_gradients_reach_first_conv():
    model = DRSVGG(widen_factor=0.0625, act_cfg=dict(type='DRS', learnable=True))
    (out,) = model(torch.randn(2, 3, 32, 32))
    out.mean().backward()
    assert model.features[0].weight.grad.abs().sum() > 0
    assert model.features[1].fc.weight.grad.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='drs_vgg.py.*widen_factor'):
        DRSVGG(widen_factor=0)
    with pytest.raises(ValueError, match='out_indices'):
        DRSVGG(out_indices=(5,))
    with pytest.raises(ValueError, match='drs_vgg.py.*one flag per stage'):
        DRSVGG(stage_with_act=(True,) * 4)


def test_folded_bn_backbone_equals_plain_backbone_in_eval():
    import torch

    from mmwsss.models.backbones import DRSVGG

    torch.manual_seed(0)
    with_bn = DRSVGG(widen_factor=1 / 16, norm_cfg=dict(type='BN'))
    with_bn.init_weights()
    assert len(with_bn.norms) == 13
    with_bn.train()
    for _ in range(3):  # non-trivial running statistics
        with_bn(torch.rand(4, 3, 32, 32) * 2)
    for norm in with_bn.norms.values():
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.2, 0.2)
    with_bn.eval()
    plain = DRSVGG(widen_factor=1 / 16).eval()
    state = with_bn.folded_state_dict()
    assert not any(k.startswith('norms.') for k in state)
    plain.load_state_dict(state, strict=True)
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(plain(x)[0], with_bn(x)[0], rtol=1e-4, atol=1e-5)
