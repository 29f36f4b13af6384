# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, build_optim_wrapper

import mmwsss  # noqa: F401  (registers the constructor)
from mmwsss.engine.optimizers import DRSOptimWrapperConstructor
from mmwsss.registry import OPTIM_WRAPPER_CONSTRUCTORS

BASE_LR = 1e-3
BASE_WD = 5e-4


class Suppressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4, bias=False)


class TinyNet(nn.Module):
    """Pretrained backbone (convs, a BN, a fixed-delta-like scalar), a new
    suppressor fc inside the backbone, a new head, and a top-level fc."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1))
        self.backbone.add_module('drs', Suppressor())
        self.backbone.register_parameter('delta', nn.Parameter(torch.ones(1)))
        self.head = nn.Sequential(nn.Conv2d(4, 4, 3), nn.Conv2d(4, 2, 1))
        self.fc = nn.Linear(2, 2)
        self.fcn = nn.Linear(2, 2)  # pretrained: '.fc.' does not match it


# name -> expected lr multiplier (DRS recipe: pretrained 1/2, new 10/20)
EXPECTED_MULT = {
    'backbone.0.weight': 1,
    'backbone.0.bias': 2,
    'backbone.1.weight': 1,  # BN scale counts as a weight
    'backbone.1.bias': 2,
    'backbone.2.weight': 1,
    'backbone.2.bias': 2,
    'backbone.delta': 1,
    'backbone.drs.fc.weight': 10,
    'head.0.weight': 10,
    'head.0.bias': 20,
    'head.1.weight': 10,
    'head.1.bias': 20,
    'fc.weight': 10,
    'fc.bias': 20,
    'fcn.weight': 1,
    'fcn.bias': 2,
}
PARAMWISE = dict(new_keys=['head', '.fc.'])


def _build(model, paramwise_cfg=PARAMWISE, **optimizer):
    optimizer_cfg = dict(type='SGD', lr=BASE_LR, momentum=0.9, nesterov=True, weight_decay=BASE_WD)
    optimizer_cfg.update(optimizer)
    return build_optim_wrapper(
        model,
        dict(
            type='OptimWrapper',
            optimizer=optimizer_cfg,
            constructor='DRSOptimWrapperConstructor',
            paramwise_cfg=paramwise_cfg,
        ),
    )


def _lr_of_every_param(optim_wrapper):
    lrs, wds = {}, {}
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            assert id(param) not in lrs, 'parameter in two groups'
            lrs[id(param)] = group['lr']
            wds[id(param)] = group['weight_decay']
    return lrs, wds


def test_registered():
    assert (
        OPTIM_WRAPPER_CONSTRUCTORS.get('DRSOptimWrapperConstructor') is DRSOptimWrapperConstructor
    )


def test_every_parameter_gets_the_drs_lr_exactly_once():
    model = TinyNet()
    optim_wrapper = _build(model)
    assert isinstance(optim_wrapper, OptimWrapper)
    optimizer = optim_wrapper.optimizer
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.defaults['nesterov'] is True
    lrs, wds = _lr_of_every_param(optim_wrapper)
    named = dict(model.named_parameters())
    assert set(named) == set(EXPECTED_MULT)
    # nothing dropped, nothing extra, nothing duplicated
    assert set(lrs) == {id(p) for p in named.values()}
    total = sum(len(g['params']) for g in optimizer.param_groups)
    assert total == len(named)
    for name, param in named.items():
        assert lrs[id(param)] == pytest.approx(BASE_LR * EXPECTED_MULT[name]), name
        assert wds[id(param)] == pytest.approx(BASE_WD), name
    # the four official groups, in the official order
    assert [g['lr'] for g in optimizer.param_groups] == pytest.approx(
        [BASE_LR, 2 * BASE_LR, 10 * BASE_LR, 20 * BASE_LR]
    )


def test_custom_multipliers_and_decay():
    model = TinyNet()
    optim_wrapper = _build(
        model,
        dict(
            new_keys=('head',),
            lr_mult=0.5,
            bias_lr_mult=1.0,
            new_lr_mult=4.0,
            new_bias_lr_mult=8.0,
            bias_decay_mult=0.0,
        ),
    )
    lrs, wds = _lr_of_every_param(optim_wrapper)
    for name, param in model.named_parameters():
        new = name.startswith('head.')
        bias = name.endswith('.bias')
        mult = {(False, False): 0.5, (False, True): 1.0, (True, False): 4.0, (True, True): 8.0}[
            (new, bias)
        ]
        assert lrs[id(param)] == pytest.approx(BASE_LR * mult), name
        assert wds[id(param)] == pytest.approx(0.0 if bias else BASE_WD)


def test_top_level_key_with_leading_dot_and_shared_and_frozen_params():
    model = TinyNet()
    model.head = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 1))
    model.head[1].weight = model.head[0].weight  # shared parameter
    model.backbone[0].weight.requires_grad_(False)  # frozen
    # '.fc' matches the top-level 'fc' and 'backbone.drs.fc' but also 'fcn'
    optim_wrapper = _build(model, dict(new_keys=['head', '.fc']))
    lrs, _ = _lr_of_every_param(optim_wrapper)
    named = dict(model.named_parameters())  # the shared one appears once
    assert 'head.1.weight' not in named
    frozen = named.pop('backbone.0.weight')
    assert id(frozen) not in lrs
    assert set(lrs) == {id(p) for p in named.values()}
    assert lrs[id(named['fc.weight'])] == pytest.approx(10 * BASE_LR)
    assert lrs[id(named['fcn.weight'])] == pytest.approx(10 * BASE_LR)
    assert lrs[id(named['head.0.weight'])] == pytest.approx(10 * BASE_LR)


def test_ddp_like_wrapper_is_unwrapped():

    class Wrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    model = TinyNet()
    lrs, _ = _lr_of_every_param(_build(Wrapper(model)))
    for name, param in model.named_parameters():
        assert lrs[id(param)] == pytest.approx(BASE_LR * EXPECTED_MULT[name]), name


def test_no_weight_decay_in_optimizer():
    model = TinyNet()
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=BASE_LR),
            constructor='DRSOptimWrapperConstructor',
            paramwise_cfg=PARAMWISE,
        ),
    )
    for group in optim_wrapper.optimizer.param_groups:
        assert group['weight_decay'] == 0  # SGD's default, untouched


@pytest.mark.parametrize(
    'paramwise_cfg, optimizer, error, message',
    [
        (dict(custom_keys={}), {}, KeyError, 'unknown paramwise_cfg'),
        (dict(new_keys='head'), {}, TypeError, 'new_keys'),
        (dict(new_keys=['']), {}, TypeError, 'new_keys'),
        (dict(new_lr_mult=-1), {}, ValueError, 'new_lr_mult'),
        (PARAMWISE, dict(lr=None), ValueError, '`lr`'),
    ],
)
def test_bad_config_raises(paramwise_cfg, optimizer, error, message):
    optimizer_cfg = dict(type='SGD', lr=BASE_LR)
    optimizer_cfg.update(optimizer)
    if optimizer_cfg['lr'] is None:
        optimizer_cfg.pop('lr')
    with pytest.raises(error, match='drs_optim_wrapper_constructor') as info:
        DRSOptimWrapperConstructor(
            dict(type='OptimWrapper', optimizer=optimizer_cfg), paramwise_cfg
        )
    assert message in str(info.value)
