# Copyright (c) mmwsss contributors. All rights reserved.
"""mmwsss modules register into MMSeg's registries and mix with MMSeg's own in one config."""

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS

CONFIG = """
default_scope = 'mmseg'
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
mmseg_head = dict(type='FCNHead', in_channels=8, channels=8, num_convs=1, num_classes=3,
                  act_cfg=dict(type='DRS', delta=0.55))
mmwsss_backbone = dict(type='DRSVGG', widen_factor=1 / 64, act_cfg=dict(type='ReLU'))
"""


def test_one_config_builds_an_mmseg_and_an_mmwsss_module(tmp_path):
    path = tmp_path / 'mixed.py'
    path.write_text(CONFIG)
    cfg = Config.fromfile(str(path))  # custom_imports imports mmwsss here
    init_default_scope(cfg.default_scope)
    head = MODELS.build(cfg.mmseg_head)  # MMSeg's FCNHead with our suppressor as its activation
    backbone = MODELS.build(cfg.mmwsss_backbone)
    assert type(head).__module__.startswith('mmseg.')
    assert type(backbone).__module__.startswith('mmwsss.')
    assert type(head.convs[0].activate).__name__ == 'DRS'
    feats = backbone(torch.rand(1, 3, 32, 32))
    assert feats[-1].shape == (1, 8, 4, 4)  # output stride 8
    assert head([feats[-1]]).shape == (1, 3, 4, 4)


def test_every_component_is_in_mmsegs_registries():
    import mmwsss  # noqa: F401  (registers its modules)

    for registry, names in (
        (MODELS, ['DRSVGG', 'CAMHead', 'CAMClassifier']),
        (
            DATASETS,
            ['WSSSVOCDataset', 'WSSSCOCODataset', 'SyntheticWSSSDataset', 'PseudoLabelDataset'],
        ),
        (TRANSFORMS, ['LoadImageLevelLabels', 'LoadSaliencyMap', 'PackWSSSInputs', 'ColorJitter']),
        (METRICS, ['CAMThresholdSweepMetric', 'MultiLabelAPMetric', 'PseudoLabelMetric']),
    ):
        for name in names:
            assert registry.get(name) is not None, name
    assert HOOKS.get('SegVisualizationHook') is not None  # MMSeg's own still there
