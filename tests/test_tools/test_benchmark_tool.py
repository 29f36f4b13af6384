# Copyright (c) mmwsss contributors. All rights reserved.
"""What tools/analysis_tools/benchmark.py calls the benchmark size and how it reads the load.

Nothing here is timed: the tool's figures are printed by the tool, never asserted.
"""

from argparse import Namespace

import torch
from tool_loader import load_tool

from mmwsss.datasets.synthetic import SYNTHETIC_BENCHMARK

bench = load_tool('analysis_tools/benchmark.py')


def test_benchmark_size_follows_the_embedded_benchmark():
    # the 'benchmark size' goals apply at the synthetic configs' width and image side
    assert bench.benchmark_size() == dict(widen_factor=0.25, size=SYNTHETIC_BENCHMARK['image_size'])
    args = bench.parse_args([])
    assert args.size is None  # resolved to the benchmark's side after the thread set-up
    side = SYNTHETIC_BENCHMARK['image_size']
    assert bench.size_kind(Namespace(widen_factor=0.25, size=side)) == 'benchmark'
    assert bench.size_kind(Namespace(widen_factor=0.25, size=side // 2)) == 'other'
    assert bench.size_kind(Namespace(widen_factor=1.0, size=320)) == 'paper'
    assert bench.parse_args(['--full']).size == 320


def test_load_verdict_tells_an_idle_machine_from_a_shared_one():
    info = dict(device='cpu', threads=2, load=(0.3, 1.1, 0.9), load_end=(1.2, 1.4, 1.2))
    assert bench.load_verdict(info).startswith('otherwise idle')
    # others running before the start
    assert 'shared' in bench.load_verdict(dict(info, load=(4.8, 4.6, 4.5)))
    # more runnable threads at the end than this run's own
    assert 'shared' in bench.load_verdict(dict(info, load_end=(3.1, 2.0, 1.5)))


def test_amp_goal_is_judged_on_the_side_amp_trains_like():
    # on a CPU, `tools/train.py --amp` adds ChannelsLastHook (set_amp_optim_wrapper): the tool asks
    # that function, and judges the training goal on the channels_last side
    dtype, chosen = bench.low_precision(torch.device('cpu'))
    assert chosen['train_channels_last'] == (dtype is not None and not torch.cuda.is_available())
    sides = dict(bf16=dict(speedup=1.5), bf16_cl=dict(speedup=1.6))
    cpu = dict(dtype='bf16', sides=sides, chosen=dict(train_channels_last=True))
    assert bench.amp_side(cpu) == 'bf16_cl'
    assert bench.amp_side(dict(cpu, chosen=dict(train_channels_last=False))) == 'bf16'
    assert bench.amp_side(dict(cpu, sides=dict(bf16=sides['bf16']))) == 'bf16'  # not measured
