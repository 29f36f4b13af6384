# Copyright (c) mmwsss contributors. All rights reserved.
from mmengine.config import Config

from mmwsss.utils import adapt_cfg_to_machine, revert_sync_bn_cfg


def test_revert_sync_bn_cfg_replaces_nested():
    cfg = dict(
        model=dict(
            backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)),
            heads=[dict(norm_cfg=dict(type='SyncBN')), dict(norm_cfg=dict(type='GN'))],
        )
    )
    assert revert_sync_bn_cfg(cfg) == 2
    assert cfg['model']['backbone']['norm_cfg'] == dict(type='BN', requires_grad=True)
    assert cfg['model']['heads'][1]['norm_cfg']['type'] == 'GN'


def test_adapt_cfg_to_machine_sets_wrapper_and_bn():
    cfg = Config(dict(model=dict(norm_cfg=dict(type='SyncBN'))))
    adapt_cfg_to_machine(cfg, 'pytorch')
    assert cfg.launcher == 'pytorch'
    assert cfg.model_wrapper_cfg.type == 'DeviceAgnosticDDP'
    assert cfg.model.norm_cfg.type == 'BN'  # no CUDA on the test machines
