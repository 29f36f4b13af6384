# Copyright (c) mmwsss contributors. All rights reserved.
"""Speed and memory of the DRS pipeline against the plain alternatives, measured side by side.

    python tools/analysis_tools/benchmark.py            # benchmark size: minutes on 2 CPU cores
    python tools/analysis_tools/benchmark.py --full     # paper size: DRS-VGG16, 320x320, batch 10
    python tools/analysis_tools/benchmark.py --sections precision gen --out bench.md

Prints (never asserts), in one run, on synthetic images written to a temporary folder:

(a) train: s/iter of a DRS-VGG16 training iteration through MMEngine's Runner (the DRS stage-1
    config, DRSOptimWrapperConstructor, the real pipeline and data loader) against a plain PyTorch
    loop over the same network, the same DataLoader (same dataset, pipeline, sampler, workers and
    collate), the same four SGD parameter groups and the same LR schedule; the plain loop
    normalises the batch with three tensor ops and calls backbone -> head -> loss itself.
    Interleaved pairs, medians of per-pair ratios (goal: <= 5%).
    precision: the same plain training step in fp32, under the machine's autocast dtype (bf16 on a
    CPU with native bf16, fp16 on CUDA; what ``tools/train.py --amp`` trains with) and under that
    dtype with channels_last weights, interleaved in one process (goal: bf16 >= 1.3x fp32 at the
    benchmark size, >= 1.8x at the paper size).
(b) gen: localization-map + pseudo-label throughput (images/s) of ``PseudoLabelLoop``
    (batched images, data-loader workers reading images and saliency maps while the model runs)
    with ``precision='fp32'`` and with ``precision='auto'`` (bf16 + channels_last weights on a
    CPU with native bf16) against the straightforward per-image fp32 loop of the official code
    (one image and one scale at a time, reading and writing in the same thread), all writing the
    same files with the same functions, in the same rounds; the outputs of the 'auto' side are
    compared with the loop's (goal: >= 3x at the benchmark size, >= 2.5x at the paper size).
(c) mem: peak resident set size of the main process (``/proc/self/status``; the whole process,
    not only Python objects) during generation and during scoring, over 100 and over 1,000 small
    images, each in a fresh process (goal: about the same, i.e. streaming).
(d) flops: FLOPs per image (analytic count of the convolutions and linear layers, next to
    ``mmengine.analysis``'s count), the achieved GFLOP/s of training and generation, and the
    machine's dense ``torch.mm`` GFLOP/s (fp32, and the low precision where there is one).

The CPU's model, its bf16 flags, torch's bf16 check and what ``precision='auto'`` chose are
printed and recorded. The output ends with a markdown block for ``docs/benchmark.md``
(``--out FILE`` also writes it).
"""

import argparse
import contextlib
import copy
import io
import json
import os
import os.path as osp
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEFAULT_CONFIG = osp.join(
    REPO, 'configs', 'drs', 'drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py'
)
SECTIONS = ('train', 'precision', 'gen', 'mem', 'flops')
# The paper's size. The Runner/plain comparison ('train') is left out of its sections: at this size
# one fp32 iteration takes over a minute on 2 CPU cores, and the Runner's fixed cost is measured at
# the benchmark size and by the probe (ask for it with --sections train).
FULL_PRESET = dict(
    widen_factor=1.0,
    size=320,
    batch=10,
    classes=12,
    warmup=1,
    pairs=8,
    iters=5,
    rounds=0,
    prec_pairs=3,
    single_thread=False,
    gen_images=8,
    gen_batch=8,
    gen_rounds=3,
    sections=['precision', 'gen', 'mem', 'flops'],
)
# a model so small that the loops' fixed per-iteration costs show
PROBE = dict(widen_factor=0.0625, size=32, pairs=100)
# Goals by size: 'benchmark' is DRS-VGG16 x0.25 at the embedded benchmark's side (benchmark_size()),
# 'paper' DRS-VGG16 x1 at 320 px.
GOALS = dict(
    train_overhead=0.05,
    mem_ratio=1.1,
    gen_speedup=dict(benchmark=3.0, paper=2.5),
    train_speedup=dict(benchmark=1.3, paper=1.8),
)


def benchmark_size() -> Dict[str, float]:
    """The synthetic configs' width and the embedded benchmark's image side (imports torch)."""
    from mmwsss.datasets.synthetic import SYNTHETIC_BENCHMARK

    return dict(widen_factor=0.25, size=SYNTHETIC_BENCHMARK['image_size'])


def _preset_flag(key: str, value) -> str:
    flag = '--' + key.replace('_', '-')
    if isinstance(value, bool):
        return flag if value else f'no {flag}'
    if isinstance(value, list):
        return f'{flag} {" ".join(map(str, value))}'
    return f'{flag} {value}'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Speed and memory of DRS training and pseudo-label generation against plain '
        'loops (figures are printed, never asserted)',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='DRS stage-1 config to train')
    parser.add_argument(
        '--full',
        action='store_true',
        help='the paper size: ' + ', '.join(_preset_flag(k, v) for k, v in FULL_PRESET.items()),
    )
    parser.add_argument('--widen-factor', type=float, default=0.25, help='DRSVGG width (1 = VGG16)')
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help="training crop and generation input side (default: the embedded benchmark's, "
        'SYNTHETIC_BENCHMARK; paper: 320)%(default).0s',
    )
    parser.add_argument(
        '--batch', type=int, default=10, help="training batch size (the recipe's 10)"
    )
    parser.add_argument(
        '--classes', type=int, default=4, help='foreground classes of the synthetic data (2..12)'
    )
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations per run')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per run')
    parser.add_argument(
        '--pairs',
        type=int,
        default=40,
        help='timed Runner/plain iteration pairs of the interleaved run',
    )
    parser.add_argument(
        '--rounds',
        type=int,
        default=0,
        help='separate runs of each side, alternating which goes first (0: none)',
    )
    parser.add_argument('--workers', type=int, default=2, help='training data-loader workers')
    parser.add_argument(
        '--prec-pairs',
        type=int,
        default=20,
        help='timed rounds of the precision comparison (one training step of each '
        'precision per round, after --warmup untimed rounds)',
    )
    parser.add_argument(
        '--no-channels-last',
        dest='channels_last',
        action='store_false',
        help='precision section: skip the low-precision step with channels_last weights (run by '
        'default)%(default).0s',
    )
    parser.add_argument(
        '--no-single-thread',
        dest='single_thread',
        action='store_false',
        help='precision section: skip the diagnostic low-precision step on one torch thread (run '
        'by default on a CPU with more than one thread; --full leaves it out)%(default).0s',
    )
    parser.add_argument(
        '--amp-rounds',
        type=int,
        default=0,
        help='precision section: also separate Runner runs in fp32 and with the AMP optim wrapper '
        '(AmpOptimWrapper on CUDA, DeviceAgnosticAmpOptimWrapper with bf16 on a CPU), --warmup + '
        '--iters iterations each, alternating (0: none)',
    )
    parser.add_argument(
        '--no-control',
        dest='control',
        action='store_false',
        help='skip the A/A control (two plain loops interleaved: the noise floor; run by '
        'default)%(default).0s',
    )
    parser.add_argument(
        '--no-probe',
        dest='probe',
        action='store_false',
        help='skip the fixed-cost probe (the same training comparison on a x0.0625, 32x32 '
        'model; run by default)%(default).0s',
    )
    parser.add_argument('--gen-images', type=int, default=48, help='images of the throughput test')
    parser.add_argument(
        '--gen-sides',
        nargs='+',
        choices=['loop', 'fp32', 'auto'],
        default=['loop', 'fp32', 'auto'],
        help='generation sides: the per-image fp32 loop, PseudoLabelLoop with '
        "precision='fp32' and with precision='auto' ('loop' is the reference of the speed-ups)",
    )
    parser.add_argument(
        '--gen-batch',
        type=int,
        default=8,
        help="generator batch size (PseudoLabelLoop's default 8)",
    )
    parser.add_argument(
        '--gen-extra-batches',
        type=int,
        nargs='*',
        default=[1],
        help="more precision='auto' generator sides at these batch sizes (none: no value)",
    )
    parser.add_argument('--gen-workers', type=int, default=2, help='generator data-loader workers')
    parser.add_argument(
        '--gen-rounds',
        type=int,
        default=5,
        help='generation rounds (every side once per round, the order rotating)',
    )
    parser.add_argument(
        '--mem-counts',
        type=int,
        nargs=2,
        default=[100, 1000],
        help='image counts of the memory test',
    )
    parser.add_argument('--mem-size', type=int, default=32, help='image side of the memory test')
    parser.add_argument('--matmul-n', type=int, default=2048, help='side of the torch.mm test')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads (default: the CPUs this process may use)%(default).0s',
    )
    parser.add_argument(
        '--omp-wait-policy',
        choices=['passive', 'active', 'unset'],
        default='passive',
        help="OMP_WAIT_POLICY of this run: 'active' threads spin while waiting, which on a machine "
        'whose cores are busy with other processes slows every op by up to 100x; '
        "'unset' leaves the environment as it is",
    )
    parser.add_argument(
        '--device', default=None, help="'cpu' or 'cuda' (default: cuda if present)%(default).0s"
    )
    parser.add_argument(
        '--sections',
        nargs='+',
        choices=SECTIONS,
        default=list(SECTIONS),
        help='what to measure (--full: ' + ' '.join(FULL_PRESET['sections']) + ')',
    )
    parser.add_argument(
        '--work-dir',
        default=None,
        help='where data and outputs go (default: a temporary folder, removed)',
    )
    parser.add_argument('--out', default=None, help='also write the markdown block to this file')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--mem-child', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.full:
        given = {a.split('=')[0] for a in (argv if argv is not None else sys.argv[1:])}
        for key, value in FULL_PRESET.items():
            if '--' + key.replace('_', '-') not in given:  # explicit flags win over the preset
                setattr(args, key, list(value) if isinstance(value, list) else value)
    if args.size is not None and args.size % 8:
        parser.error(f'--size must be a multiple of 8 (the output stride), got {args.size}')
    if (
        args.warmup < 0
        or args.iters < 1
        or args.rounds < 0
        or args.batch < 1
        or args.pairs < 1
        or args.gen_rounds < 1
        or args.prec_pairs < 1
        or args.amp_rounds < 0
    ):
        parser.error(
            'need --warmup >= 0, --iters >= 1, --pairs >= 1, --rounds >= 0, --batch >= 1, '
            '--gen-rounds >= 1, --prec-pairs >= 1, --amp-rounds >= 0'
        )
    if args.gen_batch < 1 or any(n < 1 for n in args.gen_extra_batches):
        parser.error('generator batch sizes must be >= 1')
    if 'gen' in args.sections and 'loop' not in args.gen_sides:
        parser.error("--gen-sides needs 'loop': it is the reference of the speed-ups")
    if not 2 <= args.classes <= 12:
        parser.error(f'--classes must lie in 2..12 (the synthetic generator), got {args.classes}')
    if args.threads is None:
        args.threads = (
            len(os.sched_getaffinity(0))
            if hasattr(os, 'sched_getaffinity')
            else (os.cpu_count() or 1)
        )
    return args


def _set_threads(threads: int, wait_policy: str = 'unset') -> None:
    # Before torch is imported, so OpenMP starts with these settings (children inherit them).
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(threads)
    if wait_policy != 'unset':
        os.environ['OMP_WAIT_POLICY'] = wait_policy.upper()


# ----------------------------------------------------------------------------------- shared set-up
def _imports():
    """Heavy imports, after the thread count is fixed."""
    import warnings

    import cv2
    import torch
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import mmwsss  # noqa: F401  (registers everything)

    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    # the Runner does this (env_cfg.mp_cfg.opencv_num_threads=0); do it for both sides
    cv2.setNumThreads(0)
    init_default_scope('mmseg')
    # a quiet current logger (init-weight tables, optimizer groups) until a Runner makes its own
    MMLogger.get_instance('mmwsss_benchmark', log_level='WARNING')
    # once-per-worker notices of mmcv's ColorJitter and MMSeg's idle visualization hook
    warnings.filterwarnings('ignore', message="Only use 'alpha' for pillow backend")
    warnings.filterwarnings('ignore', message='The draw is False')


def make_dataset(
    root: str, num: int, size: int, classes: int, seed: int, subsets: Sequence[int] = ()
) -> str:
    """Write a synthetic set of ``num`` train images (side ``size``) and list files of its first
    ``n`` images for every ``n`` in ``subsets`` (``ImageSets/Segmentation/first<n>.txt``)."""
    from mmwsss.datasets import generate_synthetic_benchmark

    generate_synthetic_benchmark(
        root, num_train=num, num_val=0, num_object_classes=classes, image_size=size, seed=seed
    )
    split_dir = osp.join(root, 'ImageSets', 'Segmentation')
    with open(osp.join(split_dir, 'train.txt')) as f:
        ids = f.read().split()
    for n in subsets:
        with open(osp.join(split_dir, f'first{n}.txt'), 'w') as f:
            f.write('\n'.join(ids[:n]) + '\n')
    return root


def model_cfg(cfg, widen_factor: float, classes: int) -> dict:
    """The config's model at another width and class count, He-initialised (no checkpoint)."""
    model = copy.deepcopy(cfg.model)
    width = max(1, int(round(512 * widen_factor)))
    model.backbone.widen_factor = widen_factor
    model.backbone.init_cfg = dict(
        type='Kaiming',
        layer='Conv2d',
        mode='fan_out',
        nonlinearity='relu',
        distribution='normal',
        bias=0,
    )
    model.decode_head.num_classes = classes
    model.decode_head.in_channels = width
    model.decode_head.channels = width
    return model


def build_model(cfg, args, device):
    import torch

    from mmwsss.registry import MODELS

    torch.manual_seed(args.seed)
    model = MODELS.build(model_cfg(cfg, args.widen_factor, args.classes))
    model.init_weights()
    return model.to(device)


# ---------------------------------------------------------------------------------- (a) training
def training_cfg(args, data_root: str, work_dir: str, name: str):
    """The DRS stage-1 config, cut to an iteration-based run on the synthetic images."""
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    cfg.model = model_cfg(cfg, args.widen_factor, args.classes)
    resize = int(round(args.size * 1.2))  # the recipe's 384 -> 320, scaled
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='Resize', scale=(resize, resize), keep_ratio=False),
        dict(type='RandomFlip', prob=0.5),
        dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
        dict(type='RandomCrop', crop_size=(args.size, args.size)),
        dict(type='PackWSSSInputs'),
    ]
    cfg.train_dataloader = dict(
        batch_size=args.batch,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        dataset=dict(
            type='SyntheticWSSSDataset',
            data_root=data_root,
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=pipeline,
        ),
    )
    for key in (
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
        'test_dataloader',
        'test_cfg',
        'test_evaluator',
    ):
        cfg[key] = None
    max_iters = args.warmup + args.iters
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10**9)
    # the recipe's step schedule, in iterations; its steps lie beyond the run but it is stepped
    cfg.param_scheduler = [
        dict(type='MultiStepLR', by_epoch=False, milestones=[10**8, 2 * 10**8], gamma=0.1)
    ]
    cfg.default_hooks.logger.log_metric_by_epoch = False
    # saving checkpoints and writing maps after training are not per-iteration work: left out
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [
        h
        for h in cfg.get('custom_hooks', None) or []
        if 'PseudoLabelHook' not in str(h.get('type', ''))
    ]
    cfg.log_processor = dict(by_epoch=False)
    cfg.log_level = 'WARNING'  # keeps the output readable; messages are still formatted
    cfg.visualizer.pop('name', None)  # a fresh visualizer per runner (named after the experiment)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.randomness = dict(seed=args.seed)
    cfg.launcher = 'none'
    return cfg


def run_runner(cfg, device) -> List[float]:
    """Durations of the Runner's training iterations (built fresh; build time not counted)."""
    from benchmark_utils import RunnerIterClock
    from mmengine.runner import Runner

    runner = Runner.from_cfg(copy.deepcopy(cfg))
    clock = RunnerIterClock(device)
    runner.register_hook(clock, 'LOWEST')
    runner.train()
    durations = clock.durations()
    _shutdown_workers(getattr(runner.train_loop, 'dataloader_iterator', None))
    del runner
    return durations


def _shutdown_workers(iterator) -> None:
    """Stop the persistent workers of a (possibly MMEngine-wrapped) DataLoader iterator now.

    Left to the garbage collector, their shut-down can stall the next measurement for seconds.
    """
    inner = getattr(iterator, '_iterator', iterator)  # MMEngine's _InfiniteDataloaderIterator
    stop = getattr(inner, '_shutdown_workers', None)
    if callable(stop):
        stop()


class PlainLoop:
    """A plain PyTorch training loop over the config's model, data and optimizer groups.

    The DataLoader is built by ``Runner.build_dataloader`` (a plain ``torch.utils.data.DataLoader``
    with the config's dataset, pipeline, sampler, workers, collate and seeds: the data is the
    Runner's); the optimizer is ``torch.optim.SGD`` over the four groups of
    ``DRSOptimWrapperConstructor.add_params``, with ``torch.optim.lr_scheduler.MultiStepLR``.
    One :meth:`step` = fetch a batch, BGR->RGB and normalise it (three tensor ops instead of the
    data preprocessor), backbone -> head -> multilabel soft-margin loss, backward, SGD step,
    scheduler step, ``loss.item()``.

    Args:
        cfg (Config): From :func:`training_cfg`.
        args (argparse.Namespace): The benchmark's arguments (width, classes, seed).
        device (torch.device): Where the model runs.
        dtype (torch.dtype, optional): Autocast dtype of the forward pass (None: fp32). The loss is
            computed in fp32; fp16 (CUDA) scales the loss with a ``GradScaler``, as MMEngine's
            ``AmpOptimWrapper``; bf16 needs no scaling.
        channels_last (bool): Keep the model's 4-d weights (and so their gradients and momentum)
            in channels_last format; the inputs stay contiguous.
        threads (int, optional): Torch threads during :meth:`step` (restored after it); None
            keeps the process's.
    """

    def __init__(
        self,
        cfg,
        args,
        device,
        dtype=None,
        channels_last: bool = False,
        threads: Optional[int] = None,
    ) -> None:
        import torch
        from mmengine.runner import Runner

        from mmwsss.engine.optimizers import DRSOptimWrapperConstructor

        self.device = device
        self.dtype = dtype
        self.threads = threads
        self.model = build_model(cfg, args, device).train()
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
        self.loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=args.seed)
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        groups: List[dict] = []
        DRSOptimWrapperConstructor(
            dict(type='OptimWrapper', optimizer=optim_cfg.optimizer), optim_cfg.paramwise_cfg
        ).add_params(groups, self.model)
        self.group_sizes = [len(g['params']) for g in groups]
        opt_args = {k: v for k, v in optim_cfg.optimizer.items() if k != 'type'}
        self.optimizer = torch.optim.SGD(groups, **opt_args)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, milestones=cfg.param_scheduler[0]['milestones'], gamma=0.1
        )
        pre = cfg.model.data_preprocessor
        self.mean = torch.tensor(pre.mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(pre.std, device=device).view(1, 3, 1, 1)
        self.losses: List[float] = []
        self.batches = iter(self.loader)

    def step(self) -> None:
        import torch

        if not self.threads:
            return self._step()
        old = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self._step()
        finally:
            torch.set_num_threads(old)

    def _step(self) -> None:
        import torch
        import torch.nn.functional as F

        from mmwsss.utils.precision import autocast_context

        batch = next(self.batches)
        images = torch.stack(batch['inputs']).to(self.device, non_blocking=True)
        images = (images[:, [2, 1, 0]].float() - self.mean) / self.std  # BGR -> RGB, normalise
        labels = torch.stack([s.gt_cls_label for s in batch['data_samples']]).to(self.device)
        with autocast_context(self.dtype, self.device):
            logits = self.model.decode_head.forward_logits(self.model.backbone(images))
        loss = F.multilabel_soft_margin_loss(logits.float(), labels.float())
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        self.losses.append(loss.item())  # what any loop records; the Runner logs it too

    def close(self) -> None:
        _shutdown_workers(self.batches)
        self.batches = self.loader = None


def run_plain(cfg, args, device) -> Tuple[List[float], List[int]]:
    """Durations of :class:`PlainLoop` iterations, and the sizes of its parameter groups."""
    from benchmark_utils import IterationClock

    loop = PlainLoop(cfg, args, device)
    clock = IterationClock(device)
    clock.start()
    for _ in range(args.warmup + args.iters):
        loop.step()
        clock.tick()
    loop.close()
    return clock.durations(), loop.group_sizes


def run_interleaved(cfg, args, device, pairs: int) -> Tuple[List[float], List[float], List[int]]:
    """Runner and plain iterations taking turns in one process (R, P, R, P, ...).

    A hook of the lowest priority runs one :class:`PlainLoop` step after every Runner iteration
    and times both, so that the two see the same machine load; the Runner's time runs from the end
    of the previous plain step to the end of its own iteration's hooks (its data fetch included).

    Returns:
        tuple: Runner durations, plain durations (``args.warmup + pairs`` each), group sizes.
    """
    from benchmark_utils import InterleavedStepClock
    from mmengine.runner import Runner

    cfg = copy.deepcopy(cfg)
    cfg.train_cfg.max_iters = args.warmup + pairs
    runner = Runner.from_cfg(cfg)
    loop = PlainLoop(cfg, args, device)
    clock = InterleavedStepClock(loop.step, device)
    runner.register_hook(clock, 'LOWEST')
    runner.train()
    loop.close()
    _shutdown_workers(getattr(runner.train_loop, 'dataloader_iterator', None))
    del runner
    return clock.runner_times, clock.step_times, loop.group_sizes


def run_interleaved_plain(cfg, args, device, pairs: int) -> Tuple[List[float], List[float]]:
    """A/A control: two identical :class:`PlainLoop` s taking turns, timed like
    :func:`run_interleaved`; their difference is the noise floor of that comparison."""
    from benchmark_utils import IterationClock

    first, second = PlainLoop(cfg, args, device), PlainLoop(cfg, args, device)
    clock = IterationClock(device)
    clock.start()
    for _ in range(args.warmup + pairs):
        first.step()
        clock.tick()
        second.step()
        clock.tick()
    first.close()
    second.close()
    durations = clock.durations()
    return durations[0::2], durations[1::2]


def bench_training(
    args,
    data_root: str,
    work_dir: str,
    device,
    tag: str = 'train',
    sequential: bool = True,
    control: bool = False,
) -> dict:
    """Interleaved pairs (the headline), optionally the A/A control and separate runs."""
    from benchmark_utils import paired_overhead, relative_overhead, summarize_times

    out: dict = {}
    cfg = training_cfg(
        args,
        data_root,
        osp.join(work_dir, f'{tag}_interleaved'),
        f'benchmark_{tag}_{os.getpid()}_interleaved',
    )
    start = time.perf_counter()
    runner_d, plain_d, group_sizes = run_interleaved(cfg, args, device, args.pairs)
    runner_d, plain_d = runner_d[args.warmup :], plain_d[args.warmup :]
    runner, plain = summarize_times(runner_d), summarize_times(plain_d)
    paired = paired_overhead(runner_d, plain_d)
    out['interleaved'] = dict(
        runner=runner,
        plain=plain,
        overhead=paired['ratio'],
        difference=paired['difference'],
        overhead_of_medians=relative_overhead(runner['median'], plain['median']),
        overhead_of_means=relative_overhead(runner['mean'], plain['mean']),
    )
    out['group_sizes'] = group_sizes
    print(
        f'[{tag}] interleaved: {args.pairs} pairs, median Runner {runner["median"]:.4f} s/iter, '
        f'plain {plain["median"]:.4f} s/iter ({time.perf_counter() - start:.1f} s)',
        flush=True,
    )
    if control:
        start = time.perf_counter()
        first_d, second_d = run_interleaved_plain(cfg, args, device, args.pairs)
        first_d, second_d = first_d[args.warmup :], second_d[args.warmup :]
        first, second = summarize_times(first_d), summarize_times(second_d)
        out['control'] = dict(
            first=first,
            second=second,
            difference=paired_overhead(second_d, first_d)['ratio'],
            of_medians=relative_overhead(second['median'], first['median']),
        )
        print(
            f'[{tag}] A/A control: {args.pairs} pairs, median plain {first["median"]:.4f} vs '
            f'plain {second["median"]:.4f} s/iter ({time.perf_counter() - start:.1f} s)',
            flush=True,
        )
    if not sequential or args.rounds == 0:
        return out
    times: Dict[str, List[float]] = dict(runner=[], plain=[])
    run_medians: Dict[str, List[float]] = dict(runner=[], plain=[])
    for r in range(args.rounds):
        order = ('plain', 'runner') if r % 2 == 0 else ('runner', 'plain')
        for side in order:
            cfg = training_cfg(
                args,
                data_root,
                osp.join(work_dir, f'{tag}_runner_{r}'),
                f'benchmark_{tag}_{os.getpid()}_{r}',
            )
            start = time.perf_counter()
            if side == 'runner':
                durations = run_runner(cfg, device)[args.warmup :]
            else:
                durations = run_plain(cfg, args, device)[0][args.warmup :]
            times[side] += durations
            run_medians[side].append(statistics.median(durations))
            print(
                f'[{tag}] round {r + 1}/{args.rounds} {side}: {len(durations)} timed '
                f'iterations, median {run_medians[side][-1]:.4f} s/iter '
                f'(run incl. set-up {time.perf_counter() - start:.1f} s)',
                flush=True,
            )
    runner, plain = summarize_times(times['runner']), summarize_times(times['plain'])
    out['sequential'] = dict(
        runner=runner,
        plain=plain,
        run_medians=run_medians,
        round_overheads=[a / b - 1 for a, b in zip(run_medians['runner'], run_medians['plain'])],
        overhead=relative_overhead(runner['median'], plain['median']),
        overhead_mean=relative_overhead(runner['mean'], plain['mean']),
    )
    return out


def low_precision(device):
    """The autocast dtype ``precision='auto'`` gives on ``device`` (None: fp32, nothing lower to
    measure), and what ``'auto'`` chose for maps and for ``tools/train.py --amp``, in words."""
    from mmengine.config import Config

    from mmwsss.utils.precision import (
        describe_precision,
        resolve_channels_last,
        resolve_precision,
        set_amp_optim_wrapper,
    )

    dtype = resolve_precision('auto', device)
    maps_cl = resolve_channels_last('auto', dtype, device)
    maps = describe_precision(dtype, maps_cl, device)
    # what --amp adds to a config (on a CPU: ChannelsLastHook), asked of the function that adds it
    amp_cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    set_amp_optim_wrapper(amp_cfg, dtype)
    train_cl = any(
        str(h.get('type', '')).endswith('ChannelsLastHook')
        for h in amp_cfg.get('custom_hooks', None) or []
    )
    train = describe_precision(dtype, train_cl, device)
    return dtype, dict(
        maps=maps,
        maps_short=maps.split(' on ')[0],
        maps_channels_last=maps_cl,
        train=train,
        train_short=train.split(' on ')[0],
        train_channels_last=train_cl,
    )


def _timed(fn, device) -> float:
    from benchmark_utils import IterationClock

    clock = IterationClock(device)
    clock.start()
    fn()
    clock.tick()
    return clock.durations()[0]


def bench_precision(args, data_root: str, work_dir: str, device) -> dict:
    """The plain training step in fp32, in the low precision, in it with channels_last weights,
    and (a diagnostic, CPU) in it on one thread.

    One :class:`PlainLoop` per side (same initial weights, same data in the same order), taking
    turns in one process like the A/A control; each round runs one step of every side, the order
    rotating from round to round; the first ``args.warmup`` rounds are dropped. The speed-up of a
    side is the median over rounds of ``fp32 time / its time``.
    """
    import torch
    from benchmark_utils import paired_speedup, rotated, summarize_times

    from mmwsss.utils.precision import precision_name

    dtype, chosen = low_precision(device)
    out: dict = dict(
        dtype=precision_name(dtype),
        chosen=chosen,
        rounds=args.prec_pairs,
        threads=torch.get_num_threads(),
    )
    if dtype is None:
        out['skipped'] = _no_low_precision(device)
        print(f'[precision] {out["skipped"]}', flush=True)
        return out
    low = precision_name(dtype)
    sides = [('fp32', None, False, None), (low, dtype, False, None)]
    if args.channels_last:
        sides.append((f'{low}_cl', dtype, True, None))
    if args.single_thread and torch.get_num_threads() > 1 and device.type == 'cpu':
        # a diagnostic: oneDNN's multi-threaded kernels wait for each other at every barrier,
        # which costs most where other processes share the cores
        sides += [('fp32_1t', None, False, 1), (f'{low}_1t', dtype, False, 1)]
    cfg = training_cfg(
        args, data_root, osp.join(work_dir, 'precision'), f'benchmark_precision_{os.getpid()}'
    )
    start = time.perf_counter()
    loops = {
        name: PlainLoop(cfg, args, device, dtype=dt, channels_last=cl, threads=threads)
        for name, dt, cl, threads in sides
    }
    times: Dict[str, List[float]] = {name: [] for name, *_ in sides}
    try:
        for r in range(args.warmup + args.prec_pairs):
            for name in rotated([side[0] for side in sides], r):
                times[name].append(_timed(loops[name].step, device))
            if r >= args.warmup or r == 0:
                print(
                    f'[precision] round {r + 1}/{args.warmup + args.prec_pairs}'
                    f'{" (warm-up)" if r < args.warmup else ""}: '
                    + ', '.join(f'{side[0]} {times[side[0]][-1]:.3f} s' for side in sides),
                    flush=True,
                )
    finally:
        for loop in loops.values():
            loop.close()
    out['sides'] = {}
    for name, _, cl, threads in sides:
        kept = times[name][args.warmup :]
        out['sides'][name] = dict(
            times=summarize_times(kept),
            channels_last=cl,
            threads=threads,
            speedup=paired_speedup(times['fp32'][args.warmup :], kept),
            per_round=[a / b for a, b in zip(times['fp32'][args.warmup :], kept)],
            last_loss=loops[name].losses[-1],
            # same weights and batches: the largest loss gap shows how far the precisions drift
            max_loss_gap=max(abs(a - b) for a, b in zip(loops['fp32'].losses, loops[name].losses)),
        )
    out['seconds'] = time.perf_counter() - start
    print(
        '[precision] '
        + ', '.join(
            f'{name} median {v["times"]["median"]:.3f} s/step ({v["speedup"]:.2f}x fp32)'
            for name, v in out['sides'].items()
        )
        + f' ({out["seconds"]:.0f} s)',
        flush=True,
    )
    if args.amp_rounds:
        out['runner'] = bench_runner_amp(args, data_root, work_dir, device, dtype)
    return out


def _no_low_precision(device) -> str:
    from mmwsss.utils.precision import cpu_description

    if device.type == 'cpu':
        return (
            f'not measured: no native bf16 on this CPU ({cpu_description()["model"]}; '
            "torch.ops.mkldnn._is_mkldnn_bf16_supported() is False), so precision='auto' "
            'is fp32 here'
        )
    return f"not measured: precision='auto' is fp32 on {device.type}"


def bench_runner_amp(args, data_root: str, work_dir: str, device, dtype) -> dict:
    """Separate Runner runs in fp32 and with the AMP optim wrapper, alternating (a cross-check of
    the plain loops' comparison through MMEngine's own mixed-precision path)."""
    from benchmark_utils import rotated, summarize_times

    from mmwsss.utils.precision import set_amp_optim_wrapper

    times: Dict[str, List[float]] = dict(fp32=[], amp=[])
    run_medians: Dict[str, List[float]] = dict(fp32=[], amp=[])
    wrapper = None
    for r in range(args.amp_rounds):
        for side in rotated(['fp32', 'amp'], r):
            cfg = training_cfg(
                args,
                data_root,
                osp.join(work_dir, f'amp_{side}_{r}'),
                f'benchmark_amp_{os.getpid()}_{side}_{r}',
            )
            if side == 'amp':
                set_amp_optim_wrapper(cfg, dtype)
                wrapper = cfg.optim_wrapper.type
            start = time.perf_counter()
            durations = run_runner(cfg, device)[args.warmup :]
            times[side] += durations
            run_medians[side].append(statistics.median(durations))
            print(
                f'[precision] Runner round {r + 1}/{args.amp_rounds} {side}: {len(durations)} '
                f'timed iterations, median {run_medians[side][-1]:.4f} s/iter (run incl. set-up '
                f'{time.perf_counter() - start:.1f} s)',
                flush=True,
            )
    fp32, amp = summarize_times(times['fp32']), summarize_times(times['amp'])
    return dict(
        fp32=fp32,
        amp=amp,
        wrapper=wrapper,
        run_medians=run_medians,
        speedup=fp32['median'] / amp['median'],
        round_speedups=[a / b for a, b in zip(run_medians['fp32'], run_medians['amp'])],
    )


# -------------------------------------------------------------------------------- (b) generation
def generation_dataset_cfg(data_root: str, size: int, ann_file: str) -> dict:
    return dict(
        type='SyntheticWSSSDataset',
        data_root=data_root,
        ann_file=ann_file,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(size, size), keep_ratio=False),
            dict(type='PackSegInputs'),
        ],
    )


def make_loop(model, dataset_cfg: dict, out_dir: str, **settings):
    """A ``PseudoLabelLoop`` around ``model`` (in a quiet Runner), writing to ``out_dir``."""
    import uuid

    from mmengine.runner import Runner

    from mmwsss.engine import PseudoLabelLoop

    runner = Runner(
        model=model,
        work_dir=out_dir,
        default_scope='mmseg',
        log_level='ERROR',
        experiment_name=f'benchmark_{uuid.uuid4().hex}',
    )
    return PseudoLabelLoop(runner, dataset_cfg, out_dir, **settings)


def run_generator(
    model,
    dataset_cfg: dict,
    out_dir: str,
    scales,
    batch: int,
    workers: int,
    precision: str = 'fp32',
    evaluate: bool = False,
    threads: Optional[int] = None,
) -> Tuple[float, int, str]:
    """Seconds of ``PseudoLabelLoop.generate`` (its ``prepare`` is not timed), images, and
    the precision it used; ``threads`` sets the torch threads of the main process meanwhile."""
    import torch

    gen = make_loop(
        model,
        dataset_cfg,
        out_dir,
        scales=scales,
        flip=False,
        pseudo_label_cfg=dict(mode='saliency'),
        batch_size=batch,
        num_workers=workers,
        precision=precision,
        evaluate=evaluate,
    )
    gen.prepare()
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its progress bar
            start = time.perf_counter()
            written = gen.generate(model)
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(old_threads)
    return seconds, written, gen.used_precision


def run_straightforward(model, dataset_cfg: dict, out_dir: str, scales) -> Tuple[float, int, float]:
    """The plain loop: per image, load, run every scale separately, fuse, save, label, save.

    Same outputs as the generator (``<out>/maps/<id>.npz``, ``<out>/labels/<id>.png``), written by
    the same functions; everything in the main thread. Dataset building is not timed.

    Returns:
        tuple: seconds in all, images, seconds spent in the model (normalisation, the forward
        passes and the fusion of the maps), the rest being reading, labelling and writing.
    """
    import numpy as np
    import torch

    from mmwsss.datasets.stage_files import (
        full_palette,
        image_id,
        label_path,
        map_path,
        maps_to_uint8,
        save_label_png,
        save_maps,
        stage_outputs,
        uint8_to_maps,
    )
    from mmwsss.datasets.transforms import LoadSaliencyMap
    from mmwsss.pseudo_labels import generate_pseudo_label
    from mmwsss.registry import DATASETS

    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    palette = full_palette(dataset.metainfo.get('palette'))
    num_fg = len(dataset.metainfo['classes']) - 1
    outputs = stage_outputs(out_dir, out_dir)  # the generator's layout
    os.makedirs(outputs['maps_dir'], exist_ok=True)
    os.makedirs(outputs['labels_dir'], exist_ok=True)
    load_sal = LoadSaliencyMap()
    old_scales = model.test_cfg['scales']
    model.eval()
    model_s = 0.0
    start = time.perf_counter()
    try:
        with torch.no_grad():
            for index in range(len(dataset)):
                info = dataset.get_data_info(index)
                packed = dataset[index]
                model_start = time.perf_counter()
                data = model.data_preprocessor(
                    dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False
                )
                images = data['inputs']
                left, right, top, bottom = data['data_samples'][0].metainfo.get(
                    'padding_size', (0, 0, 0, 0)
                )
                images = images[
                    ..., top : images.shape[-2] - bottom, left : images.shape[-1] - right
                ]
                out_size = tuple(packed['data_samples'].metainfo['ori_shape'][:2])
                cls = np.asarray(sorted(info['cls_labels']), dtype=np.int64)
                labels = torch.zeros((1, num_fg), device=images.device)
                labels[0, cls - 1] = 1
                fused = None
                for scale in scales:  # one scale at a time
                    model.test_cfg['scales'] = (scale,)
                    maps, _ = model.localization_maps(images, out_size=out_size, labels=labels)
                    fused = maps if fused is None else torch.maximum(fused, maps)
                fused = fused[0, cls - 1].cpu()
                model_s += time.perf_counter() - model_start
                stored = maps_to_uint8(fused.numpy())
                img_id = image_id(info['img_path'])
                save_maps(map_path(outputs['maps_dir'], img_id), stored, cls)
                saliency = load_sal.transform(
                    dict(sal_path=info['sal_path'], img_path=info['img_path'], seg_fields=[])
                )['gt_saliency']
                dense = np.zeros((num_fg,) + stored.shape[1:], np.float32)
                dense[cls - 1] = uint8_to_maps(stored)
                label = generate_pseudo_label(
                    dense, dict(mode='saliency'), saliency=saliency, cls_labels=cls.tolist()
                )
                save_label_png(label_path(outputs['labels_dir'], img_id), label, palette)
    finally:
        model.test_cfg['scales'] = old_scales
    return time.perf_counter() - start, len(dataset), model_s


def compare_outputs(dir_a: str, dir_b: str) -> dict:
    """Agreement of two generation runs' stored maps and labels (:class:`OutputAgreement`)."""
    from benchmark_utils import OutputAgreement

    from mmwsss.datasets.stage_files import (
        label_path,
        load_label_png,
        load_maps,
        map_path,
        stage_outputs,
    )

    a, b = stage_outputs(dir_a, dir_a), stage_outputs(dir_b, dir_b)
    agreement = OutputAgreement()
    for name in sorted(os.listdir(a['maps_dir'])):
        img_id = name[: -len('.npz')]
        agreement.add_maps(
            load_maps(map_path(a['maps_dir'], img_id))[0],
            load_maps(map_path(b['maps_dir'], img_id))[0],
        )
        agreement.add_labels(
            load_label_png(label_path(a['labels_dir'], img_id)),
            load_label_png(label_path(b['labels_dir'], img_id)),
        )
    return agreement.summary()


def _warm_up_generation(model, scales, batch_sizes, numerics, device) -> None:
    """Run every (precision, memory format, batch size, scale) once, so that the first timed
    round does not pay for oneDNN's / cuDNN's kernel selection."""
    import torch

    from mmwsss.utils.precision import autocast_context, channels_last_model

    for dtype, channels_last in numerics:
        with (
            torch.no_grad(),
            channels_last_model(model, channels_last),
            autocast_context(dtype, device),
        ):
            for bsz in batch_sizes:
                for side in scales:
                    model._forward(torch.zeros(bsz, 3, side, side, device=device))


def bench_generation(args, cfg, data_root: str, work_dir: str, device) -> dict:
    """The loop, the fp32 generator and the 'auto' generator in the same rounds, the order rotating
    from round to round; speed-ups are medians of the per-round ratios to the loop."""
    from benchmark_utils import rotated, scaled_test_scales

    dtype, chosen = low_precision(device)
    scales = scaled_test_scales(args.size)
    ds_cfg = generation_dataset_cfg(data_root, args.size, 'ImageSets/Segmentation/train.txt')
    model = build_model(cfg, args, device).eval()
    sides = [s for s in ('loop', 'fp32', 'auto') if s in args.gen_sides]
    batches = {side: args.gen_batch for side in sides}
    if 'auto' in sides:
        for n in args.gen_extra_batches:
            if n != args.gen_batch and f'auto_b{n}' not in batches:
                sides.append(f'auto_b{n}')
                batches[f'auto_b{n}'] = n
    if 'auto' in sides and args.single_thread and device.type == 'cpu':
        import torch

        if torch.get_num_threads() > 1:
            sides.append('auto_1t')  # the diagnostic of the precision section, for maps
            batches['auto_1t'] = args.gen_batch
    batches['loop'] = 1
    result: dict = dict(
        scales=scales, sides=list(sides), batches=batches, chosen=chosen, skipped={}
    )
    if 'auto' in sides and dtype is None:
        sides = [s for s in sides if not s.startswith('auto')]
        result['skipped']['auto'] = (
            _no_low_precision(device) + ": the 'fp32' side is what 'auto' runs"
        )
        print(f'[gen] auto: {result["skipped"]["auto"]}', flush=True)

    def shapes(batch: int) -> set:  # the batch sizes a run over the images goes through
        out = {min(batch, args.gen_images)}
        if args.gen_images > batch and args.gen_images % batch:
            out.add(args.gen_images % batch)  # the last, partial batch
        return out

    fp32_sizes, auto_sizes = set(), set()
    for side in sides:
        (auto_sizes if side.startswith('auto') else fp32_sizes).update(shapes(batches[side]))
    numerics = [(None, False, sorted(fp32_sizes))]
    if auto_sizes:
        numerics.append((dtype, chosen['maps_channels_last'], sorted(auto_sizes)))
    start = time.perf_counter()
    for dt, cl, batch_sizes in numerics:
        _warm_up_generation(model, scales, batch_sizes, [(dt, cl)], device)
    print(
        f'[gen] warm-up of every scale and batch size: {time.perf_counter() - start:.1f} s',
        flush=True,
    )
    rates: Dict[str, List[float]] = {side: [] for side in sides}
    used: Dict[str, str] = dict(loop='fp32')
    model_shares: List[float] = []
    dirs = {}
    for r in range(args.gen_rounds):
        for side in rotated(sides, r):
            out = osp.join(work_dir, f'gen_{side}_{r}')
            shutil.rmtree(out, ignore_errors=True)
            if side == 'loop':
                seconds, count, model_s = run_straightforward(model, ds_cfg, out, scales)
                model_shares.append(model_s / seconds)
            else:
                seconds, count, used[side] = run_generator(
                    model,
                    ds_cfg,
                    out,
                    scales,
                    batches[side],
                    args.gen_workers,
                    precision='fp32' if side == 'fp32' else 'auto',
                    threads=1 if side.endswith('_1t') else None,
                )
            rates[side].append(count / seconds)
            dirs[side] = out
            print(
                f'[gen] round {r + 1}/{args.gen_rounds} {side} ({used[side]}): {count} images '
                f'in {seconds:.2f} s = {count / seconds:.2f} images/s',
                flush=True,
            )
    result.update(rates=rates, used=used, images=args.gen_images)
    result['median'] = {side: statistics.median(v) for side, v in rates.items()}
    # back-to-back runs share the machine's load: the median of their ratios is the robust figure
    result['round_speedups'] = {
        side: [a / b for a, b in zip(rates[side], rates['loop'])]
        for side in sides
        if side != 'loop'
    }
    result['speedup'] = {side: statistics.median(v) for side, v in result['round_speedups'].items()}
    result['speedup_of_medians'] = {
        side: result['median'][side] / result['median']['loop'] for side in result['speedup']
    }
    # Amdahl: hiding all reading and writing behind an unchanged model gives at most 1 / share
    result['model_share'] = statistics.median(model_shares)
    result['agreement'] = {
        side: compare_outputs(dirs[side], dirs['loop']) for side in sides if side != 'loop'
    }
    for side, agr in result['agreement'].items():
        print(
            f'[gen] {side} vs loop: maps mean {agr["mean_map_diff"]:.3f}/255, max '
            f'{agr["max_map_diff"]:.0f}/255, labels {100 * agr["label_agreement"]:.3f}% equal',
            flush=True,
        )
    return result


# ------------------------------------------------------------------------------------ (c) memory
def memory_child(spec: dict) -> None:
    """In a fresh process: generate (and score) ``spec['ann_file']`` and print the RSS marks."""
    _imports()
    from benchmark_utils import peak_rss_mib, reset_peak_rss, scaled_test_scales
    from mmengine.config import Config

    cfg = Config.fromfile(spec['config'])
    args = argparse.Namespace(seed=0, widen_factor=spec['widen_factor'], classes=spec['classes'])
    model = build_model(cfg, args, spec['device']).eval()
    ds_cfg = generation_dataset_cfg(spec['data_root'], spec['size'], spec['ann_file'])
    gen = make_loop(
        model,
        ds_cfg,
        spec['out_dir'],
        scales=scaled_test_scales(spec['size']),
        flip=False,
        pseudo_label_cfg=dict(mode='saliency'),
        batch_size=spec['batch'],
        num_workers=spec['workers'],
        evaluate=True,
    )
    gen.prepare()
    reset_peak_rss()  # the marks below are peaks of what ran after each reset
    marks = dict(before=peak_rss_mib())
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        written = gen.generate(model)
        gen_s = time.perf_counter() - start
        marks['generation'] = peak_rss_mib()
        reset_peak_rss()
        metrics = gen.score()
        marks['scoring'] = peak_rss_mib()
    print(
        'MEMORY '
        + json.dumps(dict(marks=marks, images=written, seconds=gen_s, metrics=len(metrics)))
    )


def bench_memory(args, data_root: str, work_dir: str, device) -> dict:
    results = {}
    for count in args.mem_counts:
        spec = dict(
            config=args.config,
            widen_factor=args.widen_factor,
            classes=args.classes,
            device=str(device),
            data_root=data_root,
            size=args.mem_size,
            ann_file=f'ImageSets/Segmentation/first{count}.txt',
            out_dir=osp.join(work_dir, f'mem_{count}'),
            batch=args.gen_batch,
            workers=args.gen_workers,
        )
        shutil.rmtree(spec['out_dir'], ignore_errors=True)  # finished images would be skipped
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                osp.abspath(__file__),
                '--mem-child',
                json.dumps(spec),
                '--threads',
                str(args.threads),
                '--omp-wait-policy',
                args.omp_wait_policy,
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('MEMORY ')]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(
                f'benchmark: the memory run over {count} images failed '
                f'(exit {proc.returncode}):\n{proc.stderr[-3000:]}'
            )
        results[count] = json.loads(lines[-1][len('MEMORY ') :])
        marks = results[count]['marks']
        print(
            f'[mem] {count} images: generation {results[count]["seconds"]:.1f} s, RSS before '
            f'{marks["before"]["current"]:.0f} MiB, peak in generation '
            f'{marks["generation"]["self"]:.0f} MiB, in scoring {marks["scoring"]["self"]:.0f} '
            f'MiB (process {time.perf_counter() - start:.1f} s)',
            flush=True,
        )
    return results


# ------------------------------------------------------------------------------------- (d) flops
class _MapNet:
    """Wraps a CAMClassifier as image -> class maps (what a training step runs forward)."""

    @staticmethod
    def of(model):
        import torch

        class MapNet(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                return self.inner.decode_head(self.inner.backbone(x))

        return MapNet(model)


def forward_flops(cfg, widen_factor: float, classes: int, sizes: Sequence[int]) -> int:
    """Analytic forward FLOPs per image summed over square inputs ``sizes`` (shapes only: the
    model runs on PyTorch's meta device, so even the full-size count is instant)."""
    import torch
    from benchmark_utils import count_conv_flops

    from mmwsss.registry import MODELS

    with torch.device('meta'):
        model = MODELS.build(model_cfg(cfg, widen_factor, classes))
    net = _MapNet.of(model).eval()
    return sum(
        count_conv_flops(net, torch.zeros(1, 3, s, s, device='meta'))['per_sample'] for s in sizes
    )


def bench_flops(args, cfg, device) -> dict:
    import torch
    from benchmark_utils import count_conv_flops, matmul_gflops, scaled_test_scales
    from mmengine.analysis import FlopAnalyzer

    model = build_model(cfg, args, 'cpu').eval()
    net = _MapNet.of(model)
    x = torch.zeros(1, 3, args.size, args.size)
    analytic = count_conv_flops(net, x)['per_sample']
    try:
        analyzer = FlopAnalyzer(net, (x,))
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        mmengine_macs = int(analyzer.total())
    except Exception as e:  # tracing is best effort; the analytic count stands alone
        print(f'[flops] mmengine.analysis failed: {type(e).__name__}: {e}')
        mmengine_macs = None
    gen_flops = forward_flops(cfg, args.widen_factor, args.classes, scaled_test_scales(args.size))
    paper = forward_flops(cfg, FULL_PRESET['widen_factor'], 20, [FULL_PRESET['size']])
    probe = forward_flops(cfg, PROBE['widen_factor'], args.classes, [PROBE['size']])
    params = sum(p.numel() for p in model.parameters())
    mm = matmul_gflops(args.matmul_n, device=device)
    low, _ = low_precision(device)
    mm_low = None
    if low is not None:
        from mmwsss.utils.precision import precision_name

        mm_low = dict(
            matmul_gflops(args.matmul_n, device=device, dtype=low), dtype=precision_name(low)
        )
    print(
        f'[flops] forward {analytic / 1e9:.3f} GFLOP/image, torch.mm {mm["gflops"]:.1f} GFLOP/s'
        + (f' fp32, {mm_low["gflops"]:.1f} GFLOP/s {mm_low["dtype"]}' if mm_low else ''),
        flush=True,
    )
    return dict(
        forward=analytic,
        mmengine_macs=mmengine_macs,
        train=3 * analytic,
        generation=gen_flops,
        params=params,
        matmul=mm,
        matmul_low=mm_low,
        paper_train=3 * paper,
        probe_train=3 * probe,
    )


# ------------------------------------------------------------------------------------ the report
def machine_info(device) -> dict:
    """Versions, the CPU (model, bf16 flags, torch's bf16 check), and what 'auto' chooses."""
    import mmengine
    import mmseg
    import torch

    from mmwsss.utils.precision import cpu_description

    cpu = cpu_description()
    mem_gib = None
    try:
        with open('/proc/meminfo') as f:
            mem_gib = int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    gpu = None
    if device.type == 'cuda':
        gpu = (
            f'{torch.cuda.get_device_name(device)} (cuDNN benchmark '
            f'{torch.backends.cudnn.benchmark}, TF32 in convolutions '
            f'{torch.backends.cudnn.allow_tf32}, in matmuls '
            f'{torch.backends.cuda.matmul.allow_tf32})'
        )
    _, chosen = low_precision(device)
    return dict(
        cpu=cpu['model'],
        cpu_info=cpu,
        gpu=gpu,
        cpus=os.cpu_count(),
        threads=torch.get_num_threads(),
        mem_gib=mem_gib,
        omp_wait_policy=os.environ.get('OMP_WAIT_POLICY', 'unset'),
        python=platform.python_version(),
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        mmseg=mmseg.__version__,
        device=str(device),
        load=os.getloadavg(),
        chosen=chosen,
    )


def cpu_line(info: dict) -> str:
    """The CPU's model and bf16 capability in one sentence."""
    cpu = info['cpu_info']
    flags = ', '.join(f'`{f}`' for f in cpu['bf16_flags']) or 'none'
    return (
        f'CPU: {cpu["model"]} ({cpu["cpus"]} usable, torch ISA {cpu["isa"]}); bf16 flags in '
        f"/proc/cpuinfo: {flags}; torch's check (`torch.ops.mkldnn._is_mkldnn_bf16_supported()"
        f'`): {cpu["torch_bf16"]}.' + (f' GPU: {info["gpu"]}.' if info.get('gpu') else '')
    )


def load_verdict(info: dict) -> str:
    """Whether other work shared the CPUs, read from the 1-minute load averages.

    At the start this run has not begun; at the end its own threads count, so more than them
    (plus half a CPU of slack) means others were running.
    """
    if info['device'] != 'cpu':
        return 'the CPU load matters little on a GPU'
    start, end = info['load'][0], info['load_end'][0]
    if start >= 0.5 or end > info['threads'] + 0.5:
        return 'other work shared the machine, so the figures are noisy'
    return "otherwise idle (start below 0.5, end within this run's threads)"


def size_kind(args) -> str:
    """'paper' (x1, 320 px), 'benchmark' (benchmark_size()) or 'other' (benchmark goals shown)."""
    if args.widen_factor == FULL_PRESET['widen_factor'] and args.size == FULL_PRESET['size']:
        return 'paper'
    bench = benchmark_size()
    if args.widen_factor == bench['widen_factor'] and args.size == bench['size']:
        return 'benchmark'
    return 'other'


def render(args, info: dict, res: dict, command: str, seconds: float) -> str:
    from benchmark_utils import format_si as f
    from benchmark_utils import markdown_table

    width = max(1, int(round(512 * args.widen_factor)))
    kind = size_kind(args)
    lines = [
        '## Benchmark figures',
        '',
        f'Command: `{command}` ({seconds / 60:.1f} min in all).',
        '',
        f'Machine: {info["cpus"]} CPUs visible, {info["threads"]} torch threads '
        f'(OMP_WAIT_POLICY={info["omp_wait_policy"]})'
        + (f', {info["mem_gib"]:.0f} GiB RAM' if info['mem_gib'] else '')
        + f'; device {info["device"]}; Python {info["python"]}, torch {info["torch"]}, '
        f'MMEngine {info["mmengine"]}, MMSeg {info["mmseg"]}. Load average (1/5/15 min) at the '
        f'start {"/".join(f"{v:.1f}" for v in info["load"])}, at the end '
        f'{"/".join(f"{v:.1f}" for v in info["load_end"])}: {load_verdict(info)}.',
        '',
        cpu_line(info) + f" `precision='auto'` chose: maps {info['chosen']['maps_short']}; "
        f'training (`tools/train.py --amp`) {info["chosen"]["train_short"]}.',
        '',
        f'Model: CAMClassifier(DRSVGG x{args.widen_factor:g} (stage-5 width {width}), CAMHead, '
        f'learnable DRS), {args.classes} foreground classes, random (He) weights; synthetic '
        f'{args.size}x{args.size} images ({"the paper" if kind == "paper" else kind} size).',
        '',
    ]
    if 'train' in res:
        t = res['train']
        il = t['interleaved']
        ok = il['overhead'] <= GOALS['train_overhead']
        rows = [
            [
                'MMEngine Runner (our config)',
                f(il['runner']['median']),
                f(il['runner']['mean']),
                f(il['runner']['iqr']),
                f(args.batch / il['runner']['median']),
            ],
            [
                'plain PyTorch loop',
                f(il['plain']['median']),
                f(il['plain']['mean']),
                f(il['plain']['iqr']),
                f(args.batch / il['plain']['median']),
            ],
        ]
        lines += [
            f'### (a) Training iteration (batch {args.batch}, {args.size}x{args.size})',
            '',
            "Both loops use the same DataLoader (`Runner.build_dataloader`: the config's "
            f'dataset, pipeline, sampler, collate and seeds, {args.workers} workers), the same '
            'four SGD groups from `DRSOptimWrapperConstructor` '
            f'({t["group_sizes"]} tensors) and the same MultiStepLR; the plain loop normalises '
            'the batch with three tensor ops and calls backbone -> head -> loss -> backward -> '
            'step itself, the Runner adds its data preprocessor, OptimWrapper, hooks, message '
            'hub and logger (checkpoint saving is left out). An iteration is timed from the end '
            'of the previous one to the end of its step and hooks, data fetch included.',
            '',
            f'Interleaved (the figure for the goal): one Runner run of {args.warmup} + '
            f'{args.pairs} iterations, a hook of the lowest priority running one plain step after '
            'each, so both loops see the same machine load; the first '
            f'{args.warmup} pairs are dropped.',
            '',
            markdown_table(
                ['loop', 'median s/iter', 'mean s/iter', 'IQR s', 'images/s (median)'], rows
            ),
            '',
            f'**Runner overhead: {100 * il["overhead"]:+.1f}%** (median of the per-pair ratios; '
            f'ratio of the medians {100 * il["overhead_of_medians"]:+.1f}%, of the means '
            f'{100 * il["overhead_of_means"]:+.1f}%; median per-pair difference '
            f'{1e3 * il["difference"]:+.1f} ms) -- goal <= '
            f'{100 * GOALS["train_overhead"]:.0f}%: {"met" if ok else "MISSED"}.',
            '',
        ]
        ctl = t.get('control')
        if ctl:
            lines += [
                'A/A control (the noise floor of this comparison on this machine): two identical '
                'plain loops interleaved the same way: '
                f'{f(ctl["first"]["median"])} vs {f(ctl["second"]["median"])} s/iter, '
                f'**{100 * ctl["difference"]:+.1f}%** between two copies of the same loop (median '
                f'of the per-pair ratios; ratio of the medians {100 * ctl["of_medians"]:+.1f}%).',
                '',
            ]
        sq = t.get('sequential')
        if sq:
            lines += [
                f'Separate runs (cross-check, pooled medians): {args.rounds} run(s) of each loop '
                'on its own, '
                f'alternating which goes first, {args.warmup} + {args.iters} iterations each: '
                f'Runner {f(sq["runner"]["median"])} s/iter, plain {f(sq["plain"]["median"])} '
                f's/iter (IQR {f(sq["runner"]["iqr"])} / {f(sq["plain"]["iqr"])} s), '
                f'{100 * sq["overhead"]:+.1f}%; per run pair '
                f'{", ".join(f"{100 * v:+.1f}%" for v in sq["round_overheads"])}.',
                '',
            ]
    if 'probe' in res:
        p = res['probe']['interleaved']
        diff = p['difference']
        lines += [
            'Fixed per-iteration cost (probe): the interleaved comparison on a '
            f'x{PROBE["widen_factor"]:g} {PROBE["size"]}x{PROBE["size"]} model (batch '
            f"{args.batch}), whose compute is small enough for the loops' own costs to show: "
            f'Runner {f(1e3 * p["runner"]["median"])} ms/iter, plain '
            f'{f(1e3 * p["plain"]["median"])} ms/iter (IQR {f(1e3 * p["runner"]["iqr"])} / '
            f'{f(1e3 * p["plain"]["iqr"])} ms); median per-pair difference **{1e3 * diff:+.1f} '
            f'ms per iteration ({100 * p["overhead"]:+.1f}%)**.'
        ]
        fl, t = res.get('flops'), res.get('train')
        if fl and t:
            # FLOP/s of the plain loop
            rate = args.batch * fl['train'] / t['interleaved']['plain']['median']
            paper_s = FULL_PRESET['batch'] * fl['paper_train'] / rate
            lines[-1] += (
                ' At the paper size (DRS-VGG16, 320x320, batch 10: '
                f'{f(FULL_PRESET["batch"] * fl["paper_train"] / 1e9)} GFLOP per iteration) this '
                f"machine would need about {f(paper_s)} s per iteration at the plain loop's "
                f'{f(rate / 1e9)} GFLOP/s, so a fixed cost of this size is '
                f'{100 * max(diff, 0) / paper_s:.4f}% there.'
            )
        lines.append('')
    if 'precision' in res:
        lines += render_precision(args, res['precision'], f, markdown_table)
    if 'gen' in res:
        lines += render_generation(args, res['gen'], f, markdown_table)
    if 'mem' in res:
        m = res['mem']
        counts = sorted(m)
        rows = []
        for c in counts:
            marks = m[c]['marks']
            rows.append(
                [
                    str(c),
                    f(marks['before']['current']),
                    f(marks['generation']['self']),
                    f(marks['generation']['self'] - marks['before']['current']),
                    f(marks['scoring']['self']),
                    f(m[c]['seconds']),
                ]
            )
        small, large = m[counts[0]]['marks'], m[counts[-1]]['marks']
        ratio = large['generation']['self'] / small['generation']['self']
        ratio_score = large['scoring']['self'] / small['scoring']['self']
        ok = ratio <= GOALS['mem_ratio']
        lines += [
            f'### (c) Peak memory of generation ({args.mem_size}x{args.mem_size} images, batch '
            f'{args.gen_batch}, {args.gen_workers} workers)',
            '',
            'Resident set size of the main process (`VmHWM`/`VmRSS` of `/proc/self/status`: '
            'the whole process -- Python objects, tensors, libraries -- not tracemalloc), each '
            'count in a fresh process. "before" is the RSS after imports, model build and '
            '`prepare()`; the high-water mark is then reset (`/proc/self/clear_refs`), so each '
            'peak is the peak of that phase alone. Data-loader workers are separate processes and '
            'not included.',
            '',
            markdown_table(
                [
                    'images',
                    'RSS before MiB',
                    'peak in generation MiB',
                    'generation adds MiB',
                    'peak in scoring MiB',
                    'generation s',
                ],
                rows,
            ),
            '',
            f'**Peak in generation, {counts[-1]} vs {counts[0]} images: {ratio:.3f}x** (scoring '
            f'{ratio_score:.3f}x) -- goal about 1x (<= {GOALS["mem_ratio"]:g}x): '
            f'{"met" if ok else "MISSED"}.',
            '',
        ]
    if 'flops' in res:
        lines += render_flops(args, res, f, markdown_table)
    lines += render_goals(args, res, f, markdown_table)
    return '\n'.join(lines)


PREC_NAMES = dict(fp32='fp32', bf16='bf16 autocast', fp16='fp16 autocast')


def _side_label(name: str) -> str:
    suffixes = dict(_cl=' + channels_last weights', _1t=', 1 torch thread')
    for suffix, words in suffixes.items():
        if name.endswith(suffix):
            return PREC_NAMES.get(name[: -len(suffix)], name) + words
    return PREC_NAMES.get(name, name)


def _verdict(value: Optional[float], goal: float) -> str:
    if value is None:
        return 'not measured'
    return 'met' if value >= goal else 'MISSED'


AMP_NOTE = ' (what `tools/train.py --amp` trains with here)'


def amp_side(p: dict) -> str:
    """The side of the precision comparison that ``tools/train.py --amp`` trains like."""
    low = p['dtype']
    if p['chosen'].get('train_channels_last') and f'{low}_cl' in p['sides']:
        return f'{low}_cl'
    return low


def render_precision(args, p: dict, f, markdown_table) -> List[str]:
    lines = [
        f'### (a2) Training step by precision (plain loop, batch {args.batch}, '
        f'{args.size}x{args.size})',
        '',
    ]
    if 'skipped' in p:
        return lines + [p['skipped'][:1].upper() + p['skipped'][1:] + '.', '']
    low = p['dtype']
    amp = amp_side(p)
    steps = args.warmup + args.prec_pairs
    lines += [
        f'{len(p["sides"])} copies of the plain training loop of (a) (same initial weights, the '
        f'same batches in the same order), in fp32, under {PREC_NAMES[low]}'
        + (AMP_NOTE if amp == low else '')
        + (
            f" and under {PREC_NAMES[low]} with the model's 4-d weights in channels_last format "
            '(inputs contiguous)' + (AMP_NOTE if amp == f'{low}_cl' else '')
            if f'{low}_cl' in p['sides']
            else ''
        )
        + (
            f', and in fp32 and under {PREC_NAMES[low]} on one torch thread instead of '
            f"{p['threads']} (a diagnostic: oneDNN's multi-threaded kernels wait for each other "
            'at every barrier, which costs most when other processes share the cores; where a '
            'one-thread step is as fast or faster, that synchronisation eats what the other '
            'cores give)'
            if f'{low}_1t' in p['sides']
            else ''
        )
        + '; the loss is computed in fp32'
        + (', fp16 with a GradScaler' if low == 'fp16' else '')
        + '. They take turns in one '
        'process, one step of each per round, the order rotating from round to round, so all '
        f'see the same machine load; {args.warmup} warm-up round(s) dropped, '
        f'**{args.prec_pairs} timed rounds** ({p["seconds"] / 60:.1f} min). An iteration is '
        'timed from the end of the previous one to the end of its step, data fetch included.',
        '',
    ]
    rows = []
    for name, v in p['sides'].items():
        t = v['times']
        rows.append(
            [
                _side_label(name),
                f(t['median']),
                f(t['iqr']),
                f(args.batch / t['median']),
                f'{v["speedup"]:.2f}x',
                f(v['last_loss']),
                '-' if name == 'fp32' else f(v['max_loss_gap']),
            ]
        )
    lines += [
        markdown_table(
            [
                'training step',
                'median s/step',
                'IQR s',
                'images/s',
                'speed-up over fp32 (median of per-round ratios)',
                f'loss at step {steps}',
                'largest loss gap to fp32',
            ],
            rows,
        ),
        '',
    ]
    lows = {n: v['speedup'] for n, v in p['sides'].items() if n in (low, f'{low}_cl')}
    if len(lows) > 1:
        best = max(lows, key=lows.get)
        # medians within 5% of each other are not told apart on this kind of machine
        close = min(lows.values()) >= 0.95 * lows[best]
        lines += [
            (
                f'The two {PREC_NAMES[low]} variants: **about the same** ('
                if close
                else f'Faster {PREC_NAMES[low]} variant here: **{_side_label(best)}** ('
            )
            + ' vs '.join(f'{v:.2f}x' for v in lows.values())
            + '; per-round ratios: '
            + '; '.join(
                f'{_side_label(n)} {min(p["sides"][n]["per_round"]):.2f}-'
                f'{max(p["sides"][n]["per_round"]):.2f}x'
                for n in lows
            )
            + ').',
            '',
        ]
    if f'{low}_1t' in p['sides']:
        sides = p['sides']
        verdicts = []
        for name in ('fp32', low):
            one, many = sides[f'{name}_1t']['speedup'], sides[name]['speedup']
            verdicts.append(
                f'{PREC_NAMES[name]} {"faster" if one > many else "slower"} on one '
                f'thread ({one:.2f}x vs {many:.2f}x the {p["threads"]}-thread fp32 '
                'step)'
            )
        lines += ['Diagnostic: ' + '; '.join(verdicts) + '.', '']
    r = p.get('runner')
    if r:
        lines += [
            f"Through MMEngine's Runner (separate runs, alternating, {args.warmup} + {args.iters} "
            f'iterations each, {args.amp_rounds} round(s)): fp32 {f(r["fp32"]["median"])} s/iter, '
            f'`{r["wrapper"]}` {f(r["amp"]["median"])} s/iter: **{r["speedup"]:.2f}x** (per '
            'round ' + ', '.join(f'{v:.2f}x' for v in r['round_speedups']) + ').',
            '',
        ]
    return lines


def _gen_label(side: str, batch: int) -> str:
    if side == 'loop':
        return 'per-image loop (the official code)'
    precision = 'fp32' if side == 'fp32' else 'auto'
    return f"PseudoLabelLoop(precision='{precision}', batch_size={batch})" + (
        ', 1 torch thread' if side.endswith('_1t') else ''
    )


def render_generation(args, g: dict, f, markdown_table) -> List[str]:
    labels = {side: _gen_label(side, g['batches'][side]) for side in g['sides']}
    numerics = {
        side: 'fp32' if side in ('loop', 'fp32') else g['chosen']['maps_short']
        for side in g['sides']
    }
    lines = [
        f'### (b) Localization maps + pseudo labels ({g["images"]} images, scales '
        f'{list(g["scales"])}, saliency rule)',
        '',
        f'Generator: `PseudoLabelLoop(batch_size={args.gen_batch}, '
        f'num_workers={args.gen_workers})` (images batched; scales run one after another '
        'inside `localization_maps`; images and saliency maps read by the workers while the '
        "model runs; files written in the main process), once with `precision='fp32'` and once "
        "with `precision='auto'` (the default: what a user gets)"
        + (
            ", and with `precision='auto'` at batch size "
            + ', '.join(str(g['batches'][s]) for s in g['sides'] if s.startswith('auto_b'))
            if any(s.startswith('auto_b') for s in g['sides'])
            else ''
        )
        + (
            ", and with `precision='auto'` on one torch thread (the diagnostic of (a2))"
            if 'auto_1t' in g['sides']
            else ''
        )
        + '. Straightforward loop, as the '
        'official code: one image and one scale at a time in fp32, reading and writing in the '
        'same thread. All write the same npz + PNG files with the same functions; set-up '
        '(dataset build, checks) not timed; every scale and batch size is run once before the '
        f'first round. The sides run back to back in each of **{args.gen_rounds} rounds**, the '
        'order rotating.',
        '',
    ]
    rows = []
    for side in g['sides']:
        if side.startswith('auto') and 'auto' in g['skipped']:
            if side == 'auto':
                rows.append([labels[side], '-', '-', g['skipped']['auto'], '-'])
            continue
        speed = '1 (reference)' if side == 'loop' else f'**{g["speedup"][side]:.2f}x**'
        rounds = '-' if side == 'loop' else ', '.join(f'{v:.2f}' for v in g['round_speedups'][side])
        rows.append([labels[side], numerics[side], f(g['median'][side]), speed, rounds])
    lines += [
        markdown_table(
            [
                'side',
                'numerics',
                'images/s (median)',
                'speed-up over the loop (median of per-round ratios)',
                'per-round ratios',
            ],
            rows,
        ),
        '',
    ]
    lines += [
        f'In the loop, the model (normalisation, forward passes, fusion) takes '
        f'{100 * g["model_share"]:.0f}% of the time, so hiding all reading, labelling and writing '
        f'behind it could give at most {1 / g["model_share"]:.2f}x; the rest comes from batching '
        'and the lower precision.',
        '',
    ]
    rows = []
    for side, a in g['agreement'].items():
        ok = a['mean_map_diff'] <= 2 and a['label_agreement'] >= 0.995
        rows.append(
            [
                labels[side],
                f'{a["mean_map_diff"]:.3f}/255',
                f'{a["q999_map_diff"]:.0f}/255',
                f'{a["max_map_diff"]:.0f}/255',
                f'{100 * a["map_equal"]:.2f}%',
                f'{100 * a["label_agreement"]:.3f}%',
                'met' if ok else 'MISSED',
            ]
        )
    if rows:
        lines += [
            "Outputs against the fp32 loop's (stored uint8 maps, in 1/255 steps, and label "
            "pixels, over all images of the last round). The project's tested criterion is a mean "
            'map difference <= 2/255 and >= 99.5% equal label pixels. The maximum can be large '
            "where a class's peak is near zero: each class map is divided by its own maximum, "
            'which amplifies rounding there.',
            '',
            markdown_table(
                [
                    'side',
                    'mean map difference',
                    '99.9% of map values within',
                    'max map difference',
                    'equal map values',
                    'equal label pixels',
                    'criterion',
                ],
                rows,
            ),
            '',
        ]
    return lines


def render_flops(args, res: dict, f, markdown_table) -> List[str]:
    fl = res['flops']
    rows = [
        ['forward, one image', f(fl['forward'] / 1e9)],
        ['training step, one image (~3x forward)', f(fl['train'] / 1e9)],
        ['generation, one image (all scales)', f(fl['generation'] / 1e9)],
        [
            'paper size: training step, one 320x320 image, DRS-VGG16 x1, 20 classes',
            f(fl['paper_train'] / 1e9),
        ],
    ]
    lines = [
        '### (d) FLOPs and achieved throughput',
        '',
        'FLOPs counted analytically from forward hooks: 2 per multiply-add of every Conv2d and '
        'Linear (+1 per bias); DRS suppressors, ReLU and pooling are not counted.'
        + (
            f' `mmengine.analysis.FlopAnalyzer` counts {f(fl["mmengine_macs"] / 1e9)} G '
            'multiply-adds per forward (fvcore convention: 1 "flop" = 1 multiply-add), i.e. '
            f'{f(2 * fl["mmengine_macs"] / 1e9)} GFLOP.'
            if fl['mmengine_macs']
            else ''
        )
        + f' Parameters: {fl["params"] / 1e6:.2f} M.',
        '',
        markdown_table(['work', 'GFLOP'], rows),
        '',
    ]
    ref = fl['matmul']['gflops']
    rows = [[f'dense torch.mm {args.matmul_n}x{args.matmul_n} fp32 (median of 5)', f(ref), '100%']]
    if fl.get('matmul_low'):
        low = fl['matmul_low']
        rows.append(
            [
                f'dense torch.mm {args.matmul_n}x{args.matmul_n} {low["dtype"]} (median of 5)',
                f(low['gflops']),
                f'{100 * low["gflops"] / ref:.0f}%',
            ]
        )
    timed = []
    il = res.get('train', {}).get('interleaved', {})
    for name, key in (
        ('training, plain loop (fp32)', 'plain'),
        ('training, Runner (fp32)', 'runner'),
    ):
        if il.get(key):
            timed.append((name, args.batch * fl['train'] / il[key]['median']))
    for name, v in res.get('precision', {}).get('sides', {}).items():
        timed.append(
            (f'training step, {_side_label(name)}', args.batch * fl['train'] / v['times']['median'])
        )
    gen = res.get('gen', {})
    for side, rate in gen.get('median', {}).items():
        timed.append(
            ('generation, ' + _gen_label(side, gen['batches'][side]), rate * fl['generation'])
        )
    for name, flops_s in timed:
        rows.append([name, f(flops_s / 1e9), f'{100 * flops_s / 1e9 / ref:.0f}%'])
    return lines + [markdown_table(['what', 'achieved GFLOP/s', 'of fp32 matmul'], rows), '']


def render_goals(args, res: dict, f, markdown_table) -> List[str]:
    kind = size_kind(args)
    key = 'paper' if kind == 'paper' else 'benchmark'
    where = dict(
        paper='paper size',
        benchmark='benchmark size',
        other=f'benchmark-size goal; this run x{args.widen_factor:g}, {args.size} px',
    )[kind]
    rows = []
    if 'train' in res:
        il = res['train']['interleaved']
        ctl = res['train'].get('control')
        rows.append(
            [
                f'Runner overhead <= {100 * GOALS["train_overhead"]:.0f}% per training iteration',
                f'{100 * il["overhead"]:+.1f}%'
                + (f' (A/A control {100 * ctl["difference"]:+.1f}%)' if ctl else ''),
                'met' if il['overhead'] <= GOALS['train_overhead'] else 'MISSED',
            ]
        )
    if 'gen' in res:
        g = res['gen']
        goal = GOALS['gen_speedup'][key]
        auto = g['speedup'].get('auto')
        measured = f'{auto:.2f}x' if auto is not None else g['skipped'].get('auto', 'n/a')
        others = [
            f'{"precision=" + repr("fp32") if s == "fp32" else "auto"}, batch '
            f'{g["batches"][s]}{", 1 thread" if s.endswith("_1t") else ""}: {v:.2f}x'
            for s, v in g['speedup'].items()
            if s != 'auto'
        ]
        if others:
            measured += ' (' + '; '.join(others) + ')'
        rows.append(
            [
                f"generation, precision='auto' (batch {args.gen_batch}), >= {goal:g}x the "
                f'per-image fp32 loop ({where})',
                measured,
                _verdict(auto, goal),
            ]
        )
    if 'precision' in res:
        p = res['precision']
        goal = GOALS['train_speedup'][key]
        if 'skipped' in p:
            rows.append(
                [
                    f'training step, low precision >= {goal:g}x fp32 ({where})',
                    p['skipped'],
                    'not measured',
                ]
            )
        else:
            low = p['dtype']
            amp = amp_side(p)
            value = p['sides'][amp]['speedup']
            measured = f'{value:.2f}x'
            other = f'{low}_cl' if amp == low else low
            if other in p['sides']:
                measured += f' ({_side_label(other)}: {p["sides"][other]["speedup"]:.2f}x)'
            rows.append(
                [
                    f'training step, {_side_label(amp)} (`--amp`) >= {goal:g}x fp32 ({where})',
                    measured,
                    _verdict(value, goal),
                ]
            )
    if 'mem' in res:
        m = res['mem']
        counts = sorted(m)
        ratio = (
            m[counts[-1]]['marks']['generation']['self']
            / m[counts[0]]['marks']['generation']['self']
        )
        rows.append(
            [
                f'peak memory of generation, {counts[-1]} vs {counts[0]} images: about the '
                f'same (<= {GOALS["mem_ratio"]:g}x)',
                f'{ratio:.3f}x',
                'met' if ratio <= GOALS['mem_ratio'] else 'MISSED',
            ]
        )
    if not rows:
        return []
    return ['### Goals (this run)', '', markdown_table(['goal', 'measured', 'verdict'], rows), '']


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    _set_threads(args.threads, args.omp_wait_policy)
    if args.mem_child:
        memory_child(json.loads(args.mem_child))
        return
    _imports()
    import torch
    from mmengine.config import Config

    if args.size is None:
        args.size = benchmark_size()['size']

    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True  # as the configs' env_cfg (cudnn_benchmark=True)
    command = 'python tools/analysis_tools/benchmark.py' + ''.join(
        f' {a}' for a in (argv if argv is not None else sys.argv[1:])
    )
    info = machine_info(device)
    print(
        f'[benchmark] {info["threads"]} torch threads; device {device}; sections '
        f'{args.sections}; load average {"/".join(f"{v:.1f}" for v in info["load"])}',
        flush=True,
    )
    print(f'[benchmark] {cpu_line(info)}', flush=True)
    print(
        f"[benchmark] precision='auto' chooses: maps {info['chosen']['maps']}; training "
        f'(--amp) {info["chosen"]["train"]}',
        flush=True,
    )
    start = time.perf_counter()
    own_dir = args.work_dir is None
    work_dir = (
        tempfile.mkdtemp(prefix='mmwsss-benchmark-') if own_dir else osp.abspath(args.work_dir)
    )
    os.makedirs(work_dir, exist_ok=True)
    cfg = Config.fromfile(args.config)
    res: dict = {}
    try:
        if 'train' in args.sections:
            root = osp.join(work_dir, 'data_train')
            make_dataset(
                root,
                min(200, args.batch * (args.warmup + args.iters)),
                args.size,
                args.classes,
                args.seed,
            )
            res['train'] = bench_training(args, root, work_dir, device, control=args.control)
            if args.probe:
                probe = argparse.Namespace(**vars(args))
                probe.widen_factor, probe.size = PROBE['widen_factor'], PROBE['size']
                probe.pairs = max(args.pairs, PROBE['pairs'])
                root = osp.join(work_dir, 'data_probe')
                make_dataset(
                    root,
                    min(200, args.batch * (args.warmup + args.iters)),
                    probe.size,
                    args.classes,
                    args.seed,
                )
                res['probe'] = bench_training(
                    probe, root, work_dir, device, tag='probe', sequential=False
                )
        if 'precision' in args.sections:
            root = osp.join(work_dir, 'data_train')
            if not osp.isdir(root):
                make_dataset(
                    root,
                    min(200, args.batch * (args.warmup + args.prec_pairs)),
                    args.size,
                    args.classes,
                    args.seed,
                )
            res['precision'] = bench_precision(args, root, work_dir, device)
        if 'gen' in args.sections:
            root = osp.join(work_dir, 'data_gen')
            make_dataset(root, args.gen_images, args.size, args.classes, args.seed + 1)
            res['gen'] = bench_generation(args, cfg, root, work_dir, device)
        if 'mem' in args.sections:
            root = osp.join(work_dir, 'data_mem')
            make_dataset(
                root,
                max(args.mem_counts),
                args.mem_size,
                args.classes,
                args.seed + 2,
                subsets=args.mem_counts,
            )
            res['mem'] = bench_memory(args, root, work_dir, device)
        if 'flops' in args.sections:
            res['flops'] = bench_flops(args, cfg, device)
    finally:
        if own_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    info['load_end'] = os.getloadavg()
    report = render(args, info, res, command, time.perf_counter() - start)
    print('\n' + report)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(report + '\n')


if __name__ == '__main__':
    main()
