# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/train.py --amp on the CPU: bf16 autocast where the CPU has it, a clear refusal
elsewhere."""

import importlib.util
import os.path as osp
import sys

import pytest
import torch

import mmwsss.engine.optimizers.amp_optim_wrapper as amp_module
import mmwsss.utils.precision as precision
from mmwsss.datasets import generate_synthetic_benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')


def _train_main():
    spec = importlib.util.spec_from_file_location(
        'mmwsss_train_tool', osp.join(ROOT, 'tools/train.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _argv(data_root: str, work: str) -> list:
    return [
        'train.py',
        CONFIG,
        '--amp',
        '--work-dir',
        work,
        '--cfg-options',
        'model.backbone.widen_factor=0.0625',
        'model.backbone.init_cfg=None',
        'model.decode_head.in_channels=32',
        'model.decode_head.channels=16',
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.data_root={data_root}',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=100',
        'param_scheduler=[]',
        'custom_hooks=[]',
    ]


@pytest.fixture
def data_root(tmp_path) -> str:
    root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(root, num_train=6, num_val=1, num_object_classes=4, image_size=32)
    return root


def test_amp_trains_a_stage_in_bf16_on_a_bf16_cpu(data_root, tmp_path, monkeypatch):
    # on a CPU without native bf16 oneDNN emulates it: the code path is the same
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: True)
    monkeypatch.setattr(amp_module, 'cpu_bf16_supported', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    seen = []
    original = amp_module.DeviceAgnosticAmpOptimWrapper.update_params

    def spy(self, loss, *args, **kwargs):
        seen.append((type(self).__name__, self.cast_dtype, loss.dtype))
        return original(self, loss, *args, **kwargs)

    monkeypatch.setattr(amp_module.DeviceAgnosticAmpOptimWrapper, 'update_params', spy)
    work = str(tmp_path / 'work')
    monkeypatch.setattr(sys, 'argv', _argv(data_root, work))
    _train_main()()
    assert seen and all(
        s == ('DeviceAgnosticAmpOptimWrapper', torch.bfloat16, torch.float32) for s in seen
    )  # every step under bf16 autocast, the loss in fp32
    checkpoint = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    assert all(v.dtype != torch.bfloat16 for v in checkpoint['state_dict'].values())


def test_amp_refuses_a_cpu_without_bf16_by_name(data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: False)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(sys, 'argv', _argv(data_root, str(tmp_path / 'work')))
    with pytest.raises(SystemExit, match=r"--amp: precision 'bf16': this CPU \(.+\) has no native"):
        _train_main()()
