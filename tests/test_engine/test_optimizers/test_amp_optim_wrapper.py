# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch

import mmwsss.engine.optimizers.amp_optim_wrapper as amp_module
from mmwsss.engine.optimizers import DeviceAgnosticAmpOptimWrapper
from mmwsss.registry import OPTIM_WRAPPERS


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))


def _wrapper(model, **kwargs):
    return OPTIM_WRAPPERS.build(
        dict(
            type='DeviceAgnosticAmpOptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
            **kwargs,
        )
    )


@pytest.fixture
def bf16_cpu(monkeypatch):
    # oneDNN emulates bf16 where the CPU lacks it: the maths are the same, only slower
    monkeypatch.setattr(amp_module, 'cpu_bf16_supported', lambda: True)


def test_trains_a_step_in_bf16_without_loss_scaling(bf16_cpu):
    model = _model()
    wrapper = _wrapper(model)
    assert isinstance(wrapper, DeviceAgnosticAmpOptimWrapper)
    assert wrapper.loss_scaler is None and wrapper.cast_dtype is torch.bfloat16
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 3, 8, 8))
        assert out.dtype == torch.bfloat16  # the forward pass runs under bf16 autocast
        loss = out.float().pow(2).mean()
    wrapper.update_params(loss)
    for p, old in zip(model.parameters(), before):
        assert p.dtype == torch.float32  # weights stay fp32
        assert not torch.equal(p, old)  # every parameter moved
    state = wrapper.state_dict()
    assert 'loss_scaler' not in state and state['state']  # momentum buffers are there


def test_loads_a_gpu_runs_state_with_a_loss_scaler(bf16_cpu):
    model = _model()
    wrapper = _wrapper(model)
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 3, 8, 8)).float().mean()
    wrapper.update_params(loss)
    state = dict(wrapper.state_dict(), loss_scaler={'scale': 1024.0})
    fresh = _wrapper(_model())
    fresh.load_state_dict(state)
    assert (
        fresh.optimizer.state_dict()['state'].keys()
        == wrapper.optimizer.state_dict()['state'].keys()
    )


def test_a_cpu_without_bf16_is_refused_with_its_name(monkeypatch):
    monkeypatch.setattr(amp_module, 'cpu_bf16_supported', lambda: False)
    with pytest.raises(RuntimeError, match='needs native bf16.*drop --amp'):
        _wrapper(_model())


def test_only_bf16_on_the_cpu(bf16_cpu):
    with pytest.raises(ValueError, match='bfloat16 only'):
        _wrapper(_model(), dtype='float16')
    assert _wrapper(_model(), dtype='bfloat16').cast_dtype is torch.bfloat16
