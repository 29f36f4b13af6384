# Copyright (c) mmwsss contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer, build_plugin_layer
from mmengine.registry import DefaultScope

import mmwsss  # noqa: F401  (registers DRS)
from mmwsss.models.layers import DRS, build_activation

# one sample, two channels, 2 x 2; pre-activations
X = torch.tensor([[[[-1.0, 2.0], [4.0, 1.0]], [[3.0, -2.0], [0.5, 6.0]]]])


def test_fixed_matches_hand_computation():
    # ch0: relu -> [0, 2, 4, 1], max 4, cap 0.5 * 4 = 2
    # ch1: relu -> [3, 0, 0.5, 6], max 6, cap 3
    out = DRS(delta=0.5)(X)
    expected = torch.tensor([[[[0.0, 2.0], [2.0, 1.0]], [[3.0, 0.0], [0.5, 3.0]]]])
    assert out.shape == X.shape
    assert torch.allclose(out, expected)
    assert sum(p.numel() for p in DRS(delta=0.5).parameters()) == 0
    # per sample: a second sample at twice the scale has twice the cap
    out2 = DRS(delta=0.5)(torch.cat([X, 2 * X]))
    assert torch.allclose(out2[1], 2 * expected[0])


def test_learnable_matches_hand_computation():
    drs = DRS(learnable=True, channels=2)
    # channel means of relu(X): ch0 7 / 4 = 1.75, ch1 9.5 / 4 = 2.375
    with torch.no_grad():
        drs.fc.weight.copy_(torch.tensor([[4.0 / 7.0, 0.0], [0.0, -math.log(3.0) / 2.375]]))
    # delta0 = sigmoid(1), delta1 = sigmoid(-ln 3) = 0.25
    d0 = 1.0 / (1.0 + math.exp(-1.0))
    out = drs(X)
    expected = torch.tensor([[[[0.0, 2.0], [min(4.0, 4 * d0), 1.0]], [[1.5, 0.0], [0.5, 1.5]]]])
    assert torch.allclose(out, expected, atol=1e-6)
    # a second sample with doubled inputs: means double, so delta0 = sigmoid(2)
    out2 = drs(torch.cat([X, 2 * X]))[1]
    # and delta1 = sigmoid(-2 ln 3) = 0.1, cap 12 * 0.1
    d0b = 1.0 / (1.0 + math.exp(-2.0))
    assert torch.allclose(out2[0, 1, 0], torch.tensor(8 * d0b))
    assert torch.allclose(out2[1, 0, 0], torch.tensor(1.2))


def test_learnable_init_starts_near_half():
    torch.manual_seed(0)
    drs = DRS(learnable=True, channels=64)
    assert drs.fc.weight.shape == (64, 64) and drs.fc.bias is None
    assert abs(drs.fc.weight.std().item() - 0.01) < 0.001
    ratio = drs.suppression_ratio(torch.rand(2, 64, 5, 5))
    assert ratio.shape == (2, 64, 1, 1)
    assert torch.allclose(ratio, torch.full_like(ratio, 0.5), atol=0.05)


def test_gradient_flows_through_the_max():
    x = X[:, :1].clone().requires_grad_(True)  # relu -> [0, 2, 4, 1]
    DRS(delta=0.6)(x).sum().backward()  # cap 2.4: only the peak is capped
    # d/dx of min(r, 0.6 * max r): 1 where uncapped, 0.6 at the peak (the
    # cap moves with it); a detached max would give 0 there
    assert torch.allclose(x.grad, torch.tensor([[[[0.0, 1.0], [0.6, 1.0]]]]))


def test_gradient_reaches_learnable_weight():
    torch.manual_seed(0)
    drs = DRS(learnable=True, channels=3)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    drs(x).pow(2).sum().backward()
    assert drs.fc.weight.grad is not None
    assert drs.fc.weight.grad.abs().sum() > 0
    assert x.grad.abs().sum() > 0


@pytest.mark.parametrize('scope', [None, 'mmseg', 'mmengine'])
def test_build_activation_layer_in_any_scope(scope):
    with DefaultScope.overwrite_default_scope(scope):
        fixed = build_activation_layer(dict(type='DRS', delta=0.55))
        assert isinstance(fixed, DRS) and fixed.delta == 0.55
        learn = build_activation(dict(type='DRS', learnable=True), 8)
        assert learn.channels == 8
        relu = build_activation(dict(type='ReLU'), 8)  # no channels passed
        assert isinstance(relu, nn.ReLU)
        conv = ConvModule(3, 4, 3, padding=1, act_cfg=dict(type='DRS'))
        assert isinstance(conv.activate, DRS)
        out = conv(torch.randn(1, 3, 6, 6))
        assert out.shape == (1, 4, 6, 6) and out.min() >= 0
        conv2 = ConvModule(3, 4, 1, act_cfg=dict(type='DRS', learnable=True, channels=4))
        assert conv2.activate.channels == 4


def test_lazy_learnable_trains_with_optimizer_built_before_forward():
    torch.manual_seed(0)
    conv = ConvModule(3, 5, 3, padding=1, norm_cfg=None, act_cfg=dict(type='DRS', learnable=True))
    optim = torch.optim.SGD(conv.parameters(), lr=1.0)
    lazy_weight = conv.activate.fc.weight
    x = torch.randn(2, 3, 6, 6)
    target = torch.rand(2, 5, 6, 6)

    loss0 = (conv(x) - target).pow(2).mean()
    weight = conv.activate.fc.weight
    assert weight is lazy_weight  # materialised in place
    assert type(conv.activate.fc) is nn.Linear
    assert weight.shape == (5, 5) and conv.activate.channels == 5
    assert 0 < weight.std().item() < 0.05
    before = weight.detach().clone()
    loss0.backward()
    optim.step()
    assert not torch.equal(before, conv.activate.fc.weight.detach())
    assert any(p is weight for g in optim.param_groups for p in g['params'])


def test_lazy_learnable_loads_a_state_dict():
    src = DRS(learnable=True, channels=4)
    dst = DRS(learnable=True)
    dst.load_state_dict(src.state_dict())
    assert torch.equal(dst.fc.weight, src.fc.weight)
    x = torch.randn(1, 4, 3, 3)
    assert torch.allclose(dst(x), src(x))


def test_plugin_builder_passes_in_channels():
    name, layer = build_plugin_layer(dict(type='DRS', learnable=True), postfix='_1', in_channels=16)
    assert name == 'drs_1'
    assert isinstance(layer, DRS) and layer.channels == 16


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match='drs.py.*delta'):
        DRS(delta=0)
    with pytest.raises(ValueError, match='delta'):
        DRS(delta=1.5)
    with pytest.raises(ValueError, match='channels'):
        DRS(learnable=True, channels=4, in_channels=5)
    with pytest.raises(ValueError, match='channels'):
        DRS(learnable=True, channels=0)
    with pytest.raises(ValueError, match='built for 4 channels'):
        DRS(learnable=True, channels=4)(torch.randn(1, 3, 2, 2))
    with pytest.raises(ValueError, match='shape'):
        DRS()(torch.randn(2, 3))
    with pytest.raises(KeyError, match='not registered'):
        build_activation(dict(type='NoSuchAct'), 4)
