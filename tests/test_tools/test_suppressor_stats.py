# Copyright (c) mmwsss contributors. All rights reserved.
"""Suppressor statistics on hand-made inputs, and tools/analysis_tools/suppressor_stats.py on a
tiny set."""

import os.path as osp
import re

import pytest
import torch
from tool_loader import REPO as ROOT
from tool_loader import load_tool
from torch import nn

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.models.layers.drs import DRS

tool = load_tool('analysis_tools/suppressor_stats.py')
cam_peak_stats, format_cam_peak_stats = tool.cam_peak_stats, tool.format_cam_peak_stats
collect_suppressor_stats = tool.collect_suppressor_stats
format_suppressor_stats = tool.format_suppressor_stats


def test_fixed_suppressor_clip_share_delta_and_dead_maps():
    model = nn.Sequential(DRS(delta=0.5))
    # channel 0: relu -> [0, 1, 2, 4], max 4, cap 2: one of four positions clipped;
    # channel 1: all negative -> a dead map
    x = torch.tensor([[[[-1.0, 1.0, 2.0, 4.0]], [[-1.0, -2.0, -3.0, -4.0]]]])
    stats = collect_suppressor_stats(model, [x, x])
    assert len(stats) == 1
    s = stats[0]
    assert (s.name, s.channels, s.learnable, s.count) == ('0', 2, False, 2)
    assert s.delta_mean == pytest.approx(0.5) and s.delta_min == s.delta_max == pytest.approx(0.5)
    assert s.clipped == pytest.approx(1 / 8)
    assert s.dead == pytest.approx(0.5)
    table = format_suppressor_stats(stats)
    assert '| 0 | 2 | 0.500 | 0.500 | 0.500 | 12.5 | 50.0 |' in table


def test_learnable_suppressor_delta_follows_its_weights():
    layer = DRS(learnable=True, channels=2)
    with torch.no_grad():
        layer.fc.weight.copy_(torch.tensor([[0.0, 0.0], [0.0, 10.0]]))
    x = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])  # avg: (2, 2) -> delta: (0.5, sigmoid(20))
    s = collect_suppressor_stats(nn.Sequential(layer), [x])[0]
    assert s.learnable
    assert s.delta_min == pytest.approx(0.5)
    assert s.delta_max == pytest.approx(torch.sigmoid(torch.tensor(20.0)).item())
    assert s.clipped == pytest.approx(1 / 4)  # only the 3 of channel 0 exceeds 0.5 * 3


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='no DRS'):
        collect_suppressor_stats(nn.Sequential(nn.ReLU()), [torch.zeros(1, 1, 2, 2)])
    unused = nn.ModuleDict(dict(used=DRS(), unused=DRS()))
    with pytest.raises(RuntimeError, match='unused saw no input'):
        collect_suppressor_stats(unused, [torch.ones(1, 1, 2, 2)], forward=unused['used'])


def test_cam_peaks_of_labelled_classes_only():
    cams = torch.full((2, 3, 2, 2), -1.0)
    cams[0, 0, 1, 1] = 2.0  # image 0, class 0 (labelled): lights up at one pixel
    cams[0, 1] = 5.0  # image 0, class 1 (not labelled): ignored
    cams[1, 2, 0, 0] = -0.5  # image 1, class 2 (labelled): negative everywhere, peak -0.5
    labels = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    s = cam_peak_stats([(cams[:1], labels[:1]), (cams[1:], labels[1:])])
    assert (s.pairs, s.positive) == (2, 1)
    assert (s.peak_min, s.peak_median, s.peak_max) == (-0.5, 0.75, 2.0)
    assert '1/2 above zero' in format_cam_peak_stats(s)
    with pytest.raises(ValueError, match='do not match'):
        cam_peak_stats([(cams, labels[:1])])
    with pytest.raises(ValueError, match='no labelled'):
        cam_peak_stats([(cams, torch.zeros(2, 3))])


def test_tool_prints_one_row_per_suppressor(tmp_path, capsys):
    data_root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        data_root, num_train=3, num_val=0, num_object_classes=4, image_size=32, seed=0
    )
    config = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    out = tmp_path / 'stats.md'
    rc = tool.main(
        [
            config,
            '--num',
            '3',
            '--batch-size',
            '2',
            '--out',
            str(out),
            '--cfg-options',
            'model.backbone.widen_factor=0.0625',
            'model.backbone.init_cfg=None',
            'model.decode_head.in_channels=32',
            'model.decode_head.channels=16',
            f'train_dataloader.dataset.data_root={data_root}',
        ]
    )
    assert rc == 0
    rows = [
        line
        for line in out.read_text().splitlines()
        if line.startswith('| backbone.') or line.startswith('| decode_head.')
    ]
    assert len(rows) == 13 + 3  # every conv of VGG16 and the head's three convs
    printed = capsys.readouterr().out
    assert '3 train images' in printed
    assert re.search(r'raw maps of the labelled classes: \d+/\d+ above zero', printed)
    assert tool.main([config, 'missing.pth', '--cfg-options', 'model.backbone.init_cfg=None']) == 1
