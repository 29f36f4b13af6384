# Copyright (c) mmwsss contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch

from mmwsss.engine.hooks import ChannelsLastHook


def _runner(cast_dtype):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(4, 2, 1))
    return SimpleNamespace(model=model, optim_wrapper=SimpleNamespace(cast_dtype=cast_dtype))


def test_auto_converts_only_bf16_cpu_training(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    runner = _runner(torch.bfloat16)
    weight = runner.model[0].weight
    ChannelsLastHook().before_train(runner)
    assert runner.model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert runner.model[0].weight is weight  # the optimizer's parameter, converted in place
    plain = _runner(None)
    ChannelsLastHook().before_train(plain)
    assert plain.model[0].weight.is_contiguous()
    forced = _runner(None)
    ChannelsLastHook(enabled=True).before_train(forced)
    assert forced.model[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_bad_setting_is_refused():
    with pytest.raises(ValueError, match='enabled must be'):
        ChannelsLastHook(enabled='yes')
