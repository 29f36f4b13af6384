# Copyright (c) mmwsss contributors. All rights reserved.
"""The linear probe's fit on hand-made features, and tools/analysis_tools/probe_cams.py on a tiny
set."""

import os.path as osp
import re

import pytest
import torch
from tool_loader import REPO as ROOT
from tool_loader import load_tool

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.models.backbones import DRSVGG

tool = load_tool('analysis_tools/probe_cams.py')
fit_linear_probe = tool.fit_linear_probe


def test_probe_separates_classes_on_raw_feature_scales():
    g = torch.Generator().manual_seed(0)
    labels = (torch.rand(64, 2, generator=g) > 0.5).float()
    labels[0], labels[1] = torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0])
    noise = torch.rand(64, 3, generator=g)
    # class 0 is told by feature 0 (scale 1000), class 1 by feature 1 (scale 0.01), feature 2 noise
    features = torch.stack(
        [
            1000 * (labels[:, 0] + 0.1 * noise[:, 0]),
            0.01 * (labels[:, 1] + 0.1 * noise[:, 1]),
            noise[:, 2],
        ],
        dim=1,
    )
    weight, bias = fit_linear_probe(features, labels)
    assert weight.shape == (2, 3) and bias.shape == (2,)
    predicted = (features @ weight.T + bias) > 0  # the classifier applies to the raw features
    assert torch.equal(predicted, labels.bool())
    # each class leans on its own feature, on that feature's scale
    assert weight[0, 0] > 0 and weight[1, 1] > 0
    assert abs(weight[0, 0]) < abs(weight[1, 1])


def test_probe_errors_name_the_problem():
    with pytest.raises(ValueError, match='do not match'):
        fit_linear_probe(torch.zeros(4, 3), torch.zeros(5, 2))
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r'class indices \[0\] are in every image'):
        fit_linear_probe(torch.rand(3, 2), labels)


def test_tool_scores_the_probe_like_stage_one(tmp_path, capsys):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root,
        num_train=16,
        num_val=0,
        num_object_classes=4,
        image_size=32,
        seed=0,
        write_parts=True,
    )
    config = osp.join(ROOT, 'configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    options = [
        '--cfg-options',
        'model.backbone.widen_factor=0.0625',
        'model.backbone.init_cfg=None',
        'model.decode_head.in_channels=32',
        f'val_dataloader.dataset.data_root={data_root}',
    ]
    out = tmp_path / 'new_dir' / 'probe.txt'  # its folder is made
    rc = tool.main([config, '--batch-size', '3', '--out', str(out)] + options)
    printed = capsys.readouterr().out
    assert rc == 0, printed
    written = out.read_text()
    assert '16 val images' in written
    for key in (
        'best_threshold',
        'best_fgPrecision',
        'best_partRecall',
        'best_bodyRecall',
        'multi-label/mAP',
    ):
        assert re.search(rf'^{key}: \d+\.\d\d$', written, re.MULTILINE), key
    # bad arguments are refused before anything is written
    bad_out = tmp_path / 'bad' / 'probe.txt'
    assert tool.main([config, '--num', '1', '--out', str(bad_out)] + options) == 1
    assert '--num must be at least 2' in capsys.readouterr().err
    assert not bad_out.parent.exists()
    assert tool.main([config, str(tmp_path / 'missing.pth')] + options) == 1
    assert 'missing.pth does not exist' in capsys.readouterr().err

    # a backbone checkpoint is loaded strictly: its own weights pass, a BN layer it lacks is refused
    weights = {f'backbone.{k}': v for k, v in DRSVGG(widen_factor=0.0625).state_dict().items()}
    torch.save(dict(state_dict=weights), tmp_path / 'backbone.pth')
    assert tool.main([config, str(tmp_path / 'backbone.pth')] + options) == 0
    assert 'backbone.pth), fitted and scored' in capsys.readouterr().out
    weights['backbone.norms.0.weight'] = torch.ones(4)
    torch.save(dict(state_dict=weights), tmp_path / 'bn.pth')
    assert tool.main([config, str(tmp_path / 'bn.pth')] + options) == 1
    assert 'unexpected keys [norms.0.weight]' in capsys.readouterr().err
    # the config's own init_cfg checkpoint is loaded as strictly
    from_config = [o for o in options if o != 'model.backbone.init_cfg=None']
    from_config.append(f'model.backbone.init_cfg.checkpoint={tmp_path / "bn.pth"}')
    assert tool.main([config] + from_config) == 1
    assert 'unexpected keys [norms.0.weight]' in capsys.readouterr().err
