# Copyright (c) mmwsss contributors. All rights reserved.
import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.model import BaseModel

from mmwsss.registry import MODEL_WRAPPERS


class _Toy(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs)
        return {'loss': out.sum()} if mode == 'loss' else out


@pytest.fixture
def gloo_group(monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_device_agnostic_ddp_wraps_cpu_model(gloo_group):
    # MMEngine's Runner always passes device_ids; torch refuses them for a CPU module
    with pytest.raises(ValueError):
        torch.nn.parallel.DistributedDataParallel(_Toy(), device_ids=[0])
    wrapper = MODEL_WRAPPERS.build(
        dict(type='DeviceAgnosticDDP', module=_Toy(), device_ids=[0], broadcast_buffers=False)
    )
    out = wrapper(torch.ones(3, 2))
    assert out.shape == (3, 1)
    out.sum().backward()
    assert wrapper.module.fc.weight.grad is not None
