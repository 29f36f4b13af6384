# Copyright (c) mmwsss contributors. All rights reserved.
from types import SimpleNamespace

import torch
import torch.nn as nn

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.engine.hooks import ExportBackboneHook
from mmwsss.models.backbones import DRSVGG


def test_export_backbone_hook_writes_loadable_folded_weights(tmp_path):
    model = nn.Module()
    model.backbone = DRSVGG(widen_factor=1 / 16, norm_cfg=dict(type='BN'))
    model.backbone.train()
    model.backbone(torch.rand(2, 3, 16, 16))
    runner = SimpleNamespace(model=model, work_dir=str(tmp_path), epoch=1, iter=5)
    ExportBackboneHook(out_file='exported/backbone.pth').after_train(runner)
    assert model.backbone.training  # restored
    ckpt = torch.load(tmp_path / 'exported' / 'backbone.pth', weights_only=True)
    assert all(k.startswith('backbone.features.') for k in ckpt['state_dict'])
    plain = DRSVGG(widen_factor=1 / 16)
    plain.load_state_dict({k[len('backbone.') :]: v for k, v in ckpt['state_dict'].items()})
    model.backbone.eval()
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(plain(x)[0], model.backbone(x)[0], rtol=1e-4, atol=1e-5)
    assert not list(tmp_path.glob('exported/*.tmp*'))
