# Copyright (c) mmwsss contributors. All rights reserved.
"""Object contrast on hand-made inputs, and tools/analysis_tools/object_contrast.py on a tiny
set."""

import os.path as osp

import pytest
import torch
from tool_loader import REPO as ROOT
from tool_loader import load_tool
from torch import nn

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.models.layers.drs import DRS

tool = load_tool('analysis_tools/object_contrast.py')


def _batch():
    # one image, one channel: 2 on the object (top row), 1 on the background, an ignored pixel
    x = torch.tensor([[[[2.0, 2.0], [1.0, 1.0]]]])
    labels = torch.tensor([[[3, 3], [0, 255]]])
    return x, labels


def test_contrast_of_a_relu_and_of_the_suppressor_put_in_its_place():
    x, labels = _batch()
    model = nn.Sequential(nn.ReLU())
    [s] = tool.collect_object_contrast(model, [(x, labels)])
    assert not model[0]._forward_hooks  # removed afterwards
    # object 2 over background 1 (the ignored pixel, also 1, is in neither)
    assert (s.name, s.kind, s.channels) == ('0', 'ReLU', 1)
    assert s.contrast == pytest.approx(2.0) and s.kept == 1.0
    assert s.capped == pytest.approx(1.1)  # a cap at 0.55 * 2 = 1.1 would leave 1.1 over 1
    [s] = tool.collect_object_contrast(model, [(x, labels)], delta=0.5)
    assert s.capped == pytest.approx(1.0)

    assert tool.insert_suppressors(model, 'all', delta=0.5) == ['0']
    assert isinstance(model[0], DRS) and model[0].delta == 0.5
    [s] = tool.collect_object_contrast(model, [(x, labels)])
    # the cap 0.5 * 2 = 1 flattens the object onto the background: contrast 1, mass 4 of 6 kept
    assert s.kind == 'DRS 0.5'
    assert s.contrast == pytest.approx(1.0) and s.capped == pytest.approx(1.1)
    assert s.kept == pytest.approx(4 / 6)
    table = tool.format_object_contrast([s])
    assert 'capped alone at 0.55' in table
    assert '| 0 | 0 | DRS 0.5 | 1 | 1.00 | 1.10 | 0.667 |' in table


def test_masks_are_resized_to_the_layer_by_area():
    # 3x3 labels, objects in the left column; a layer of 2x2 (adaptive pooling: windows of 2x2
    # overlapping the middle column) sees the object share of each window: 1/2 left, 0 right.
    labels = torch.tensor([[[1, 0, 0], [1, 0, 0], [1, 0, 0]]])
    x = torch.tensor([[[[4.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 0.0, 1.0]]]])
    model = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.ReLU())
    [s] = tool.collect_object_contrast(model, [(x, labels)])
    # layer values: left 2, right 0.5; object weight 0.5 on the left only -> on = 2;
    # background weights 0.5 left, 1 right -> off = (0.5 * 2 + 1 * 0.5) / 1.5 = 1
    assert s.contrast == pytest.approx(2.0)


def test_a_module_run_twice_per_forward_is_refused_and_hooks_are_removed():
    relu = nn.ReLU()
    model = nn.Sequential(relu, relu)
    with pytest.raises(RuntimeError, match='more than once per forward'):
        tool.collect_object_contrast(model, [_batch()])
    assert not relu._forward_hooks


def test_insert_suppressors_by_position_and_its_errors():
    model = nn.Sequential(nn.ReLU(), DRS(delta=0.7), nn.ReLU())
    assert tool.insert_suppressors(model, [2]) == ['2']
    assert isinstance(model[0], nn.ReLU) and model[2].delta == 0.55
    with pytest.raises(ValueError, match='out of range'):
        tool.insert_suppressors(model, [3])
    with pytest.raises(ValueError, match=r'activation 1 \(1\) is a DRS'):
        tool.insert_suppressors(model, [1])
    with pytest.raises(ValueError, match='no ReLU or DRS'):
        tool.collect_object_contrast(nn.Sequential(nn.Identity()), [_batch()])


def test_tool_prints_one_row_per_activation(tmp_path, capsys):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=3, num_val=3, num_object_classes=4, image_size=32, seed=0
    )
    config = osp.join(ROOT, 'configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    options = [
        'model.backbone.widen_factor=0.0625',
        'model.backbone.init_cfg=None',
        'model.decode_head.in_channels=32',
        'model.decode_head.channels=16',
        f'val_dataloader.dataset.data_root={data_root}',
    ]
    out = tmp_path / 'contrast.md'
    argv = [config, '--num', '3', '--batch-size', '2', '--suppress', 'all', '--out', str(out)]
    assert tool.main(argv + ['--cfg-options'] + options) == 0
    rows = [
        line
        for line in out.read_text().splitlines()
        if '| backbone.' in line or '| decode_head.' in line
    ]
    assert len(rows) == 13 + 3  # every conv of VGG16 and the head's three convs
    assert all('| DRS 0.55 |' in row for row in rows)
    printed = capsys.readouterr().out
    assert '3 val images' in printed and 'in place of 16 ReLU layer(s)' in printed
    assert 'classification mAP of the pooled scores:' in printed
    assert tool.main([config, 'missing.pth', '--cfg-options'] + options) == 1
    segmentor = osp.join(
        ROOT, 'configs/drs/deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-gt-256x256.py'
    )
    assert (
        tool.main([segmentor, '--cfg-options', f'val_dataloader.dataset.data_root={data_root}'])
        == 1
    )
    assert 'is not a CAM classifier' in capsys.readouterr().err
