# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
from mmengine.config import Config

import mmwsss.utils.precision as precision
from mmwsss.utils.precision import (
    autocast_context,
    channels_last_model,
    cpu_description,
    describe_precision,
    resolve_channels_last,
    resolve_precision,
    set_amp_optim_wrapper,
    set_eval_precision,
)


@pytest.fixture
def bf16_cpu(monkeypatch):
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: True)


@pytest.fixture
def plain_cpu(monkeypatch):
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: False)


def test_fp32_is_no_autocast_everywhere():
    assert resolve_precision('fp32', 'cpu') is None


def test_auto_follows_the_cpu(bf16_cpu):
    assert resolve_precision('auto', 'cpu') is torch.bfloat16
    assert resolve_precision('bf16', 'cpu') is torch.bfloat16


def test_auto_is_fp32_on_a_cpu_without_bf16_and_bf16_is_refused(plain_cpu):
    assert resolve_precision('auto', 'cpu') is None
    with pytest.raises(ValueError, match="no native bf16.*'fp32'"):
        resolve_precision('bf16', 'cpu')


def test_fp16_needs_cuda_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match='needs CUDA'):
        resolve_precision('fp16', 'cpu')
    with pytest.raises(ValueError, match='one of'):
        resolve_precision('half', 'cpu')


def test_cpu_description_names_the_model_and_bf16_support():
    info = cpu_description()
    assert isinstance(info['model'], str) and info['model']
    assert info['torch_bf16'] == precision.cpu_bf16_supported()
    assert set(info['bf16_flags']) <= {'amx_bf16', 'avx512_bf16'}
    line = describe_precision(None, False, 'cpu')
    assert line.startswith('fp32 on ') and info['model'] in line


def test_channels_last_auto_only_for_bf16_on_the_cpu():
    assert resolve_channels_last('auto', torch.bfloat16, 'cpu') is True
    assert resolve_channels_last('auto', None, 'cpu') is False
    assert resolve_channels_last('auto', torch.float16, 'cuda') is False
    assert resolve_channels_last(True, None, 'cpu') is True
    with pytest.raises(ValueError, match='channels_last'):
        resolve_channels_last('yes', None, 'cpu')


def test_channels_last_model_converts_weights_and_restores_them():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(4, 2, 1))
    weight = model[0].weight
    with channels_last_model(model, True):
        assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
        assert not model[0].weight.is_contiguous()
    assert model[0].weight.is_contiguous()
    assert model[0].weight is weight  # the same Parameter (an optimizer keeps working)


def test_autocast_context_runs_convolutions_in_bf16():
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(1, 3, 8, 8)
    with autocast_context(torch.bfloat16, 'cpu'):
        assert conv(x).dtype == torch.bfloat16
    with autocast_context(None, 'cpu'):
        assert conv(x).dtype == torch.float32


def _cfg(**optim_wrapper):
    return Config(
        dict(
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1), **optim_wrapper
            ),
            val_cfg=dict(type='ValLoop'),
            test_cfg=dict(type='TestLoop'),
        )
    )


def test_set_amp_optim_wrapper_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = _cfg()
    assert set_amp_optim_wrapper(cfg, None) is False
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert set_amp_optim_wrapper(cfg, torch.bfloat16) is True
    assert cfg.optim_wrapper.type == 'DeviceAgnosticAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16' and 'loss_scale' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.optimizer.lr == 0.1  # the rest is kept
    assert cfg.custom_hooks == [dict(type='ChannelsLastHook')]  # channels_last weights with bf16
    set_amp_optim_wrapper(cfg, torch.bfloat16)
    assert len(cfg.custom_hooks) == 1


def test_set_amp_optim_wrapper_on_cuda_is_mmsegs_amp(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _cfg()
    set_amp_optim_wrapper(cfg, torch.float16)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic' and 'dtype' not in cfg.optim_wrapper
    assert not cfg.get('custom_hooks')


def test_set_amp_optim_wrapper_keeps_an_amp_config_and_refuses_other_wrappers():
    cfg = _cfg()
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    assert set_amp_optim_wrapper(cfg, None) is True
    cfg.optim_wrapper.type = 'OptimWrapperDict'
    with pytest.raises(ValueError, match='OptimWrapperDict'):
        set_amp_optim_wrapper(cfg, torch.bfloat16)


def test_set_eval_precision_switches_mmengines_loops():
    cfg = _cfg()
    set_eval_precision(cfg, torch.bfloat16)
    assert cfg.val_cfg.fp16 is True and cfg.test_cfg.fp16 is True
    set_eval_precision(cfg, None)
    assert cfg.val_cfg.fp16 is False and cfg.test_cfg.fp16 is False
    cfg.test_cfg = dict(type='MyLoop')
    with pytest.raises(ValueError, match='MyLoop'):
        set_eval_precision(cfg, torch.bfloat16)
