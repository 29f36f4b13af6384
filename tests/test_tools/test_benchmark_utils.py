# Copyright (c) mmwsss contributors. All rights reserved.
"""Helpers of tools/analysis_tools/benchmark.py (no timing is asserted)."""

import numpy as np
import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from tool_loader import load_tool
from torch import nn

from mmwsss.models.backbones import DRSVGG

utils = load_tool('analysis_tools/benchmark_utils.py')


def test_summarize_times_drops_warmup():
    out = utils.summarize_times([10.0, 1.0, 3.0, 2.0, 4.0], warmup=1)
    assert out['median'] == 2.5
    assert out['mean'] == 2.5
    assert (out['min'], out['max'], out['n']) == (1.0, 4.0, 4.0)
    assert out['iqr'] == pytest.approx(1.5)  # inclusive quartiles of 1..4: 1.75, 3.25
    assert utils.summarize_times([0.5])['iqr'] == 0.0
    with pytest.raises(ValueError, match='nothing to summarise'):
        utils.summarize_times([1.0, 2.0], warmup=2)
    with pytest.raises(ValueError, match='warmup'):
        utils.summarize_times([1.0], warmup=-1)


def test_relative_overhead():
    assert utils.relative_overhead(1.05, 1.0) == pytest.approx(0.05)
    assert utils.relative_overhead(0.9, 1.0) == pytest.approx(-0.1)
    with pytest.raises(ValueError, match='reference'):
        utils.relative_overhead(1.0, 0.0)


def test_scaled_test_scales():
    assert utils.scaled_test_scales(320) == (256, 320, 384)
    assert utils.scaled_test_scales(128) == (104, 128, 152)
    assert utils.scaled_test_scales(8) == (8, 8, 8)  # never below one output-stride step
    assert utils.scaled_test_scales(100, multiple=1) == (80, 100, 120)
    with pytest.raises(ValueError):
        utils.scaled_test_scales(0)


def test_count_conv_flops_by_hand():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    out = utils.count_conv_flops(conv, torch.zeros(2, 3, 10, 10))
    outputs = 2 * 8 * 10 * 10
    assert out['conv'] == 2 * outputs * 3 * 9 + outputs
    assert out['per_sample'] == out['total'] // 2
    assert out['layers'] == 1 and out['linear'] == 0
    assert not conv._forward_hooks  # hooks removed

    grouped = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False)
    assert utils.count_conv_flops(grouped, torch.zeros(1, 4, 5, 5))['total'] == 2 * 4 * 25 * 9

    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2, bias=False))
    out = utils.count_conv_flops(net, torch.zeros(3, 4))
    assert out['linear'] == (2 * 15 * 4 + 15) + 2 * 6 * 5
    assert out['layers'] == 2

    # a function needs the module that holds the layers
    with pytest.raises(TypeError, match='modules'):
        utils.count_conv_flops(lambda x: conv(x), torch.zeros(1, 3, 4, 4))
    assert (
        utils.count_conv_flops(lambda x: conv(x), torch.zeros(1, 3, 4, 4), modules=conv)['layers']
        == 1
    )


def test_count_conv_flops_matches_mmengine():
    """Without biases, the analytic count is twice MMEngine's multiply-add count."""
    net = DRSVGG(widen_factor=0.0625, init_cfg=None).eval()
    x = torch.zeros(1, 3, 32, 32)
    ours = utils.count_conv_flops(net, x)
    bias = 0
    with torch.no_grad():
        for layer in net.features:
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                bias += x.numel()
    analyzer = FlopAnalyzer(net, (torch.zeros(1, 3, 32, 32),))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    assert ours['layers'] == 13
    assert ours['total'] - bias == 2 * analyzer.total()


def test_matmul_gflops_reports():
    out = utils.matmul_gflops(n=32, repeats=2, warmup=1)
    assert set(out) == {'gflops', 'best_gflops', 'seconds', 'n'}
    assert out['n'] == 32 and out['gflops'] > 0 and out['best_gflops'] >= out['gflops']
    with pytest.raises(ValueError):
        utils.matmul_gflops(n=0)


def test_peak_rss_and_reset():
    marks = utils.peak_rss_mib()
    assert set(marks) == {'self', 'current', 'children'}
    assert marks['self'] > 0 and marks['children'] >= 0
    block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
    high = utils.peak_rss_mib()['self']
    assert high >= marks['self']
    del block
    if not utils.reset_peak_rss():
        pytest.skip('no /proc/self/clear_refs on this system')
    after = utils.peak_rss_mib()
    assert after['self'] < high - 100  # the freed block no longer counts
    assert after['self'] >= after['current'] - 1


def test_markdown_table_and_format_si():
    table = utils.markdown_table(['a', 'b'], [[1, 'x|y'], ['z', 2.5]])
    assert table.splitlines() == ['| a | b |', '| --- | --- |', '| 1 | x\\|y |', '| z | 2.5 |']
    with pytest.raises(ValueError, match='row 0'):
        utils.markdown_table(['a'], [[1, 2]])
    assert utils.format_si(1234.4) == '1234'
    assert utils.format_si(99.96) == '100'
    assert utils.format_si(12.345) == '12.3'
    assert utils.format_si(0.012345) == '0.0123'
    assert utils.format_si(0) == '0'
    assert utils.format_si(None) == 'n/a'
    assert utils.format_si(float('nan')) == 'nan'


def test_iteration_clocks():
    clock = utils.IterationClock()
    with pytest.raises(RuntimeError, match='before start'):
        clock.tick()
    clock.start()
    clock.tick()
    clock.tick()
    durations = clock.durations()
    assert len(durations) == 2 and all(d >= 0 for d in durations)

    hook = utils.RunnerIterClock()
    assert hook.priority == 'LOWEST'
    for i in range(3):
        hook.before_train_iter(None, i)
        hook.after_train_iter(None, i)
    # started once, at the first iteration: one duration per iteration
    assert len(hook.durations()) == 3


def test_interleaved_step_clock_takes_turns():
    calls = []
    hook = utils.InterleavedStepClock(lambda: calls.append('step'))
    assert hook.priority == 'LOWEST'
    with pytest.raises(RuntimeError, match='before before_train_iter'):
        hook.after_train_iter(None, 0)
    for i in range(3):
        hook.before_train_iter(None, i)
        calls.append('runner')
        hook.after_train_iter(None, i)
    assert calls == ['runner', 'step'] * 3
    assert len(hook.runner_times) == len(hook.step_times) == 3
    assert all(t >= 0 for t in hook.runner_times + hook.step_times)
    with pytest.raises(TypeError, match='callable'):
        utils.InterleavedStepClock(None)


def test_paired_overhead():
    out = utils.paired_overhead([1.1, 2.2, 0.5], [1.0, 2.0, 1.0])
    assert out['ratio'] == pytest.approx(0.1)  # median of +10%, +10%, -50%
    assert out['difference'] == pytest.approx(0.1)  # median of 0.1, 0.2, -0.5
    assert out['n'] == 3.0
    with pytest.raises(ValueError, match='same length'):
        utils.paired_overhead([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='> 0'):
        utils.paired_overhead([1.0], [0.0])


def test_paired_speedup():
    # per pair 2x, 2x, 0.5x: the median is 2x
    assert utils.paired_speedup([2.0, 4.0, 1.0], [1.0, 2.0, 2.0]) == pytest.approx(2.0)
    assert utils.paired_speedup([1.0], [1.0]) == 1.0
    with pytest.raises(ValueError, match='same length'):
        utils.paired_speedup([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='same length'):
        utils.paired_speedup([], [])
    with pytest.raises(ValueError, match='> 0'):
        utils.paired_speedup([1.0], [0.0])


def test_rotated_gives_every_side_the_first_place():
    sides = ['loop', 'fp32', 'auto']
    assert utils.rotated(sides, 0) == sides
    assert utils.rotated(sides, 1) == ['fp32', 'auto', 'loop']
    assert utils.rotated(sides, 5) == ['auto', 'loop', 'fp32']
    assert [utils.rotated(sides, r)[0] for r in range(3)] == sides
    assert utils.rotated([], 3) == []
    assert sides == ['loop', 'fp32', 'auto']  # not changed in place


def test_output_agreement_statistics():
    agreement = utils.OutputAgreement()
    a = np.zeros((2, 10, 10), np.uint8)
    b = a.copy()
    b[0, 0, :4] = [1, 1, 2, 200]  # 4 of 200 values differ: 1 + 1 + 2 + 200 levels
    agreement.add_maps(a, b)
    agreement.add_maps(b, b)  # 200 more equal values
    label_a = np.zeros((10, 10), np.uint8)
    label_b = label_a.copy()
    label_b[0, 0] = 255
    agreement.add_labels(label_a, label_b)
    out = agreement.summary()
    assert out['images'] == 2 and out['map_values'] == 400
    assert out['mean_map_diff'] == pytest.approx(204 / 400)
    assert out['max_map_diff'] == 200
    assert out['map_equal'] == pytest.approx(396 / 400)
    assert out['label_agreement'] == pytest.approx(0.99)
    assert out['label_pixels'] == 100
    # 99% of the values are equal; the top 0.25% (one value) is the outlier
    assert agreement.quantile(0.99) == 0
    assert agreement.quantile(0.995) == 1
    assert agreement.quantile(1.0) == 200
    assert out['q999_map_diff'] == 200
    # differences are symmetric and never wrap around in uint8
    other = utils.OutputAgreement()
    other.add_maps(np.full((1, 1), 255, np.uint8), np.zeros((1, 1), np.uint8))
    other.add_maps(np.zeros((1, 1), np.uint8), np.full((1, 1), 255, np.uint8))
    assert other.summary()['mean_map_diff'] == 255


def test_output_agreement_checks_inputs():
    agreement = utils.OutputAgreement()
    empty = agreement.summary()
    assert empty['mean_map_diff'] == 0 and empty['max_map_diff'] == 0
    assert np.isnan(empty['label_agreement']) and np.isnan(empty['map_equal'])
    with pytest.raises(ValueError, match='shapes differ'):
        agreement.add_maps(np.zeros((1, 2, 2), np.uint8), np.zeros((1, 2, 3), np.uint8))
    with pytest.raises(ValueError, match='uint8'):
        agreement.add_maps(np.zeros((1, 2, 2), np.float32), np.zeros((1, 2, 2), np.float32))
    with pytest.raises(ValueError, match='label shapes differ'):
        agreement.add_labels(np.zeros((2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        agreement.quantile(1.5)
