# Copyright (c) mmwsss contributors. All rights reserved.
"""DRSResNetV1c: MMSeg's ResNetV1c with every activation from ``act_cfg``."""

import pytest
import torch
import torch.nn as nn
from mmseg.models.backbones import ResNetV1c

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.backbones import DRSResNetV1c
from mmwsss.models.layers import DRS
from mmwsss.registry import MODELS

D8 = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), contract_dilation=True)


def _randomise_norms(model, seed=0):
    """Non-trivial BN statistics and affine parameters (the default init is the identity)."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


@pytest.mark.parametrize('depth', [18, 50])
@pytest.mark.parametrize('train', [False, True])
def test_relu_reproduces_mmseg_resnet_v1c_exactly(depth, train):
    kwargs = dict(depth=depth, stem_channels=16, base_channels=8, out_indices=(0, 1, 2, 3), **D8)
    torch.manual_seed(0)
    ref = ResNetV1c(**kwargs)
    ours = DRSResNetV1c(**kwargs)
    assert ours.state_dict().keys() == ref.state_dict().keys()
    _randomise_norms(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ref.train(train)
    ours.train(train)
    x = torch.randn(2, 3, 33, 31)
    with torch.no_grad():
        outs_ref, outs = ref(x), ours(x)
    assert [o.shape for o in outs] == [o.shape for o in outs_ref]
    assert outs[-1].shape[-2:] == (5, 4)  # output stride 8
    for a, b in zip(outs, outs_ref):
        assert torch.equal(a, b)


@pytest.mark.parametrize('depth, per_block', [(18, 2), (50, 3)])
def test_every_activation_comes_from_act_cfg(depth, per_block):
    model = DRSResNetV1c(
        depth=depth, stem_channels=16, base_channels=8, act_cfg=dict(type='DRS', delta=0.55)
    )
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    drs = [n for n, m in model.named_modules() if isinstance(m, DRS)]
    assert drs[:3] == ['stem.2', 'stem.5', 'stem.8']
    assert len(drs) == 3 + per_block * sum(model.stage_blocks)
    assert 'layer1.0.act_out' in drs and 'layer4.1.act1' in drs
    # the fixed suppressor adds no parameter: MMSeg's key layout exactly
    assert (
        model.state_dict().keys()
        == ResNetV1c(depth=depth, stem_channels=16, base_channels=8).state_dict().keys()
    )


def _manual_block(block, x, act, act_out=None):
    """A block's forward spelled out, with ``act`` after each BN'd conv but the last and
    ``act_out`` (default ``act``) after the residual add."""
    out = act(block.norm1(block.conv1(x)))
    if hasattr(block, 'conv3'):
        out = act(block.norm2(block.conv2(out)))
        out = block.norm3(block.conv3(out))
    else:
        out = block.norm2(block.conv2(out))
    identity = block.downsample(x) if block.downsample is not None else x
    return (act_out or act)(out + identity)


@pytest.mark.parametrize('depth', [18, 50])
def test_suppressor_after_the_residual_add(depth):
    torch.manual_seed(1)
    model = DRSResNetV1c(
        depth=depth, stem_channels=16, base_channels=8, act_cfg=dict(type='DRS', delta=0.4)
    )
    _randomise_norms(model, seed=1)
    model.eval()
    drs = DRS(delta=0.4)
    x = torch.randn(2, 16, 12, 12)
    with torch.no_grad():
        for block in (model.layer1[0], model.layer2[0]):  # with a downsample branch
            out = block(x)
            assert torch.allclose(out, _manual_block(block, x, drs), atol=1e-6)
            # the suppressor after the add matters: a plain ReLU there gives another output
            assert not torch.allclose(out, _manual_block(block, x, drs, torch.relu), atol=1e-3)
            x = out


def _square_sum(model):
    total = 0
    for _, m in model.named_modules():
        if isinstance(m, DRS):
            total += m.channels**2
    return total


@pytest.mark.parametrize(
    'depth, expected, plain', [(50, 22_640_640, 23_527_264), (101, 42_694_656, 42_519_392)]
)
def test_learnable_parameter_count_full_size(depth, expected, plain):
    # stem 32^2 + 32^2 + 64^2; a Bottleneck of width p: p^2 + p^2 + (4p)^2
    blocks = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}[depth]
    formula = 32**2 * 2 + 64**2 + sum(n * 18 * (64 * 2**i) ** 2 for i, n in enumerate(blocks))
    assert formula == expected
    model = MODELS.build(
        dict(type='DRSResNetV1c', depth=depth, act_cfg=dict(type='DRS', learnable=True), **D8)
    )
    drs = sum(p.numel() for n, p in model.named_parameters() if n.endswith('.fc.weight'))
    assert drs == expected == _square_sum(model)
    assert sum(p.numel() for p in model.parameters()) == plain + expected
    assert 'layer4.2.act_out.fc.weight' in dict(model.named_parameters())
    assert model.layer4[2].act_out.channels == 2048


def test_forward_backward_learnable():
    torch.manual_seed(2)
    model = DRSResNetV1c(
        depth=50,
        stem_channels=16,
        base_channels=8,
        out_indices=(3,),
        act_cfg=dict(type='DRS', learnable=True),
        **D8,
    )
    _randomise_norms(model, seed=2)  # MMSeg's zero-init residual would cut the branches' grads
    model.train()
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    (out,) = model(x)
    assert out.shape == (2, 256, 4, 4)
    assert out.min() >= 0
    out.mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    fc = [p for n, p in model.named_parameters() if n.endswith('.fc.weight')]
    assert len(fc) == 3 + 3 * 16
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in fc)
    # gradient checkpointing gives the same output
    model.eval()
    cp_model = DRSResNetV1c(
        depth=50,
        stem_channels=16,
        base_channels=8,
        out_indices=(3,),
        act_cfg=dict(type='DRS', learnable=True),
        with_cp=True,
        **D8,
    )
    cp_model.load_state_dict(model.state_dict())
    cp_model.eval()
    y = torch.randn(1, 3, 24, 24, requires_grad=True)
    assert torch.allclose(cp_model(y)[0], model(y)[0], atol=1e-6)


def test_loads_mmseg_imagenet_checkpoint_layout(tmp_path):
    """A checkpoint in the layout of MMSeg's ``open-mmlab://resnet50_v1c`` (ResNetV1c's keys plus
    the ImageNet classifier ``fc.*``) loads into every MMSeg tensor; the suppressors keep their
    own init."""
    torch.manual_seed(3)
    src = ResNetV1c(depth=50)
    _randomise_norms(src, seed=3)
    state = dict(src.state_dict())
    state['fc.weight'] = torch.randn(1000, 2048)
    state['fc.bias'] = torch.randn(1000)
    ckpt = tmp_path / 'resnet50_v1c.pth'
    torch.save(dict(state_dict=state), ckpt)
    model = MODELS.build(
        dict(
            type='DRSResNetV1c',
            depth=50,
            act_cfg=dict(type='DRS', learnable=True),
            init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)),
            **D8,
        )
    )
    before = {n: p.clone() for n, p in model.named_parameters() if n.endswith('.fc.weight')}
    model.init_weights()
    loaded = model.state_dict()
    for key, value in src.state_dict().items():
        assert torch.equal(loaded[key], value), key
    for name, value in before.items():  # new keys: not in the file, left as built (N(0, 0.01))
        assert torch.equal(loaded[name], value)
        assert 0.005 < value.std() < 0.02


def test_bad_arguments():
    with pytest.raises(TypeError, match='act_cfg must be a dict'):
        DRSResNetV1c(depth=18, act_cfg='DRS')
    with pytest.raises(TypeError, match='deep_stem and avg_down'):
        DRSResNetV1c(depth=18, deep_stem=False)
    none = DRSResNetV1c(depth=18, stem_channels=16, base_channels=8, act_cfg=None)
    assert isinstance(none.stem[2], nn.Identity) and isinstance(none.layer1[0].act_out, nn.Identity)
