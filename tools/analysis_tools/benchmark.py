# Copyright (c) mmwsss contributors. All rights reserved.
"""Speed and memory of the DRS pipeline against the plain alternatives, measured side by side.

    python tools/analysis_tools/benchmark.py            # small defaults: minutes on 2 CPU cores
    python tools/analysis_tools/benchmark.py --full     # paper size: DRS-VGG16, 320x320, batch 10
    python tools/analysis_tools/benchmark.py --sections train flops --iters 40 --out bench.md

Prints (never asserts), in one run, on synthetic images written to a temporary folder:

(a) train: s/iter of a DRS-VGG16 training iteration through MMEngine's Runner (the DRS stage-1
    config, DRSOptimWrapperConstructor, the real pipeline and data loader) against a plain PyTorch
    loop over the same network, the same DataLoader (same dataset, pipeline, sampler, workers and
    collate), the same four SGD parameter groups and the same LR schedule; the plain loop
    normalises the batch with three tensor ops and calls backbone -> head -> loss itself. Warm-up
    iterations are dropped, rounds alternate the order, medians are compared (goal: <= 5%).
(b) gen: localization-map + pseudo-label throughput (images/s) of ``PseudoLabelGenerator``
    (batched images, data-loader workers reading images and saliency maps while the model runs)
    against the straightforward loop (one image and one scale at a time, reading and writing in
    the same thread), both writing the same files with the same functions (goal: >= 2x).
(c) mem: peak resident set size of the main process (``/proc/self/status``; the whole process,
    not only Python objects) during generation and during scoring, over 100 and over 1,000 small
    images, each in a fresh process (goal: about the same, i.e. streaming).
(d) flops: FLOPs per image (analytic count of the convolutions and linear layers, next to
    ``mmengine.analysis``'s count), the achieved GFLOP/s of training and generation, and the
    machine's dense ``torch.mm`` GFLOP/s.

The output ends with a markdown block for ``docs/benchmark.md`` (``--out FILE`` also writes it).
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

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'drs',
                          'drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py')
SECTIONS = ('train', 'gen', 'mem', 'flops')
FULL_PRESET = dict(widen_factor=1.0, size=320, batch=10, classes=12, warmup=2, pairs=8, iters=5,
                   rounds=0, gen_images=20, gen_batch=10, gen_rounds=2)
# a model so small that the loops' fixed per-iteration costs show
PROBE = dict(widen_factor=0.0625, size=32, pairs=100)
GOALS = dict(train_overhead=0.05, gen_speedup=2.0, mem_ratio=1.1)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Speed and memory of DRS training and pseudo-label generation against plain '
        'loops (figures are printed, never asserted)',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='DRS stage-1 config to train')
    parser.add_argument('--full', action='store_true',
                        help='the paper size: ' + ', '.join(f'--{k.replace("_", "-")} {v}'
                                                             for k, v in FULL_PRESET.items()))
    parser.add_argument('--widen-factor', type=float, default=0.25, help='DRSVGG width (1 = VGG16)')
    parser.add_argument('--size', type=int, default=128,
                        help='training crop and generation input side (paper: 320)')
    parser.add_argument('--batch', type=int, default=4, help='training batch size (paper: 10)')
    parser.add_argument('--classes', type=int, default=4,
                        help='foreground classes of the synthetic data (2..12)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations per run')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per run')
    parser.add_argument('--pairs', type=int, default=40,
                        help='timed Runner/plain iteration pairs of the interleaved run')
    parser.add_argument('--rounds', type=int, default=0,
                        help='separate runs of each side, alternating which goes first (0: none)')
    parser.add_argument('--workers', type=int, default=2, help='training data-loader workers')
    parser.add_argument(
        '--no-control', dest='control', action='store_false',
        help='skip the A/A control (two plain loops interleaved: the noise floor; run by '
        'default)%(default).0s')
    parser.add_argument(
        '--no-probe', dest='probe', action='store_false',
        help='skip the fixed-cost probe (the same training comparison on a x0.0625, 32x32 '
        'model; run by default)%(default).0s')
    parser.add_argument('--gen-images', type=int, default=48, help='images of the throughput test')
    parser.add_argument('--gen-batch', type=int, default=8, help='generator batch size')
    parser.add_argument('--gen-workers', type=int, default=2, help='generator data-loader workers')
    parser.add_argument('--gen-rounds', type=int, default=5,
                        help='back-to-back generator/loop run pairs, alternating the order')
    parser.add_argument('--mem-counts', type=int, nargs=2, default=[100, 1000],
                        help='image counts of the memory test')
    parser.add_argument('--mem-size', type=int, default=32, help='image side of the memory test')
    parser.add_argument('--matmul-n', type=int, default=2048, help='side of the torch.mm test')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: the CPUs this process may use)'
                        '%(default).0s')
    parser.add_argument(
        '--omp-wait-policy', choices=['passive', 'active', 'unset'], default='passive',
        help="OMP_WAIT_POLICY of this run: 'active' threads spin while waiting, which on a machine "
        'whose cores are busy with other processes slows every op by up to 100x; '
        "'unset' leaves the environment as it is")
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: cuda if present)%(default).0s")
    parser.add_argument('--sections', nargs='+', choices=SECTIONS, default=list(SECTIONS),
                        help='what to measure')
    parser.add_argument('--work-dir', default=None,
                        help='where data and outputs go (default: a temporary folder, removed)')
    parser.add_argument('--out', default=None, help='also write the markdown block to this file')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--mem-child', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.full:
        given = {a.split('=')[0] for a in (argv if argv is not None else sys.argv[1:])}
        for key, value in FULL_PRESET.items():
            if '--' + key.replace('_', '-') not in given:  # explicit flags win over the preset
                setattr(args, key, value)
    if args.size % 8:
        parser.error(f'--size must be a multiple of 8 (the output stride), got {args.size}')
    if (args.warmup < 0 or args.iters < 1 or args.rounds < 0 or args.batch < 1 or args.pairs < 1
            or args.gen_rounds < 1):
        parser.error('need --warmup >= 0, --iters >= 1, --pairs >= 1, --rounds >= 0, --batch >= 1, '
                     '--gen-rounds >= 1')
    if not 2 <= args.classes <= 12:
        parser.error(f'--classes must lie in 2..12 (the synthetic generator), got {args.classes}')
    if args.threads is None:
        args.threads = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (
            os.cpu_count() or 1)
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


def make_dataset(root: str, num: int, size: int, classes: int, seed: int,
                 subsets: Sequence[int] = ()) -> str:
    """Write a synthetic set of ``num`` train images (side ``size``) and list files of its first
    ``n`` images for every ``n`` in ``subsets`` (``ImageSets/Segmentation/first<n>.txt``)."""
    from mmwsss.datasets import generate_synthetic_benchmark
    generate_synthetic_benchmark(root, num_train=num, num_val=0, num_object_classes=classes,
                                 image_size=size, seed=seed)
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
    model.backbone.init_cfg = dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                                   nonlinearity='relu', distribution='normal', bias=0)
    model.head.num_classes = classes
    model.head.in_channels = width
    model.head.channels = width
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
        dataset=dict(type='SyntheticWSSSDataset', data_root=data_root,
                     ann_file='ImageSets/Segmentation/train.txt', pipeline=pipeline))
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    max_iters = args.warmup + args.iters
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10**9)
    # the recipe's step schedule, in iterations; its steps lie beyond the run but it is stepped
    cfg.param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[10**8, 2 * 10**8],
                                gamma=0.1)]
    cfg.default_hooks.logger.log_metric_by_epoch = False
    # saving checkpoints and writing maps after training are not per-iteration work: left out
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', None) or []
                        if 'PseudoLabelHook' not in str(h.get('type', ''))]
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
    from mmengine.runner import Runner

    from mmwsss.utils.benchmark_utils import RunnerIterClock
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
    """

    def __init__(self, cfg, args, device) -> None:
        import torch
        from mmengine.runner import Runner

        from mmwsss.engine.optimizers import DRSOptimWrapperConstructor
        self.device = device
        self.model = build_model(cfg, args, device).train()
        self.loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=args.seed)
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        groups: List[dict] = []
        DRSOptimWrapperConstructor(
            dict(type='OptimWrapper', optimizer=optim_cfg.optimizer),
            optim_cfg.paramwise_cfg).add_params(groups, self.model)
        self.group_sizes = [len(g['params']) for g in groups]
        opt_args = {k: v for k, v in optim_cfg.optimizer.items() if k != 'type'}
        self.optimizer = torch.optim.SGD(groups, **opt_args)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, milestones=cfg.param_scheduler[0]['milestones'], gamma=0.1)
        pre = cfg.model.data_preprocessor
        self.mean = torch.tensor(pre.mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(pre.std, device=device).view(1, 3, 1, 1)
        self.losses: List[float] = []
        self.batches = iter(self.loader)

    def step(self) -> None:
        import torch
        import torch.nn.functional as F
        batch = next(self.batches)
        images = torch.stack(batch['inputs']).to(self.device, non_blocking=True)
        images = (images[:, [2, 1, 0]].float() - self.mean) / self.std  # BGR -> RGB, normalise
        labels = torch.stack([s.gt_cls_label for s in batch['data_samples']]).to(self.device)
        logits = self.model.head.forward_logits(self.model.backbone(images))
        loss = F.multilabel_soft_margin_loss(logits, labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.losses.append(loss.item())  # what any loop records; the Runner logs it too

    def close(self) -> None:
        _shutdown_workers(self.batches)
        self.batches = self.loader = None


def run_plain(cfg, args, device) -> Tuple[List[float], List[int]]:
    """Durations of :class:`PlainLoop` iterations, and the sizes of its parameter groups."""
    from mmwsss.utils.benchmark_utils import IterationClock
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
    from mmengine.runner import Runner

    from mmwsss.utils.benchmark_utils import InterleavedStepClock
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
    from mmwsss.utils.benchmark_utils import IterationClock
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


def bench_training(args, data_root: str, work_dir: str, device, tag: str = 'train',
                   sequential: bool = True, control: bool = False) -> dict:
    """Interleaved pairs (the headline), optionally the A/A control and separate runs."""
    from mmwsss.utils.benchmark_utils import paired_overhead, relative_overhead, summarize_times
    out: dict = {}
    cfg = training_cfg(args, data_root, osp.join(work_dir, f'{tag}_interleaved'),
                       f'benchmark_{tag}_{os.getpid()}_interleaved')
    start = time.perf_counter()
    runner_d, plain_d, group_sizes = run_interleaved(cfg, args, device, args.pairs)
    runner_d, plain_d = runner_d[args.warmup:], plain_d[args.warmup:]
    runner, plain = summarize_times(runner_d), summarize_times(plain_d)
    paired = paired_overhead(runner_d, plain_d)
    out['interleaved'] = dict(
        runner=runner, plain=plain, overhead=paired['ratio'], difference=paired['difference'],
        overhead_of_medians=relative_overhead(runner['median'], plain['median']),
        overhead_of_means=relative_overhead(runner['mean'], plain['mean']))
    out['group_sizes'] = group_sizes
    print(f'[{tag}] interleaved: {args.pairs} pairs, median Runner {runner["median"]:.4f} s/iter, '
          f'plain {plain["median"]:.4f} s/iter ({time.perf_counter() - start:.1f} s)', flush=True)
    if control:
        start = time.perf_counter()
        first_d, second_d = run_interleaved_plain(cfg, args, device, args.pairs)
        first_d, second_d = first_d[args.warmup:], second_d[args.warmup:]
        first, second = summarize_times(first_d), summarize_times(second_d)
        out['control'] = dict(first=first, second=second,
                              difference=paired_overhead(second_d, first_d)['ratio'],
                              of_medians=relative_overhead(second['median'], first['median']))
        print(f'[{tag}] A/A control: {args.pairs} pairs, median plain {first["median"]:.4f} vs '
              f'plain {second["median"]:.4f} s/iter ({time.perf_counter() - start:.1f} s)',
              flush=True)
    if not sequential or args.rounds == 0:
        return out
    times: Dict[str, List[float]] = dict(runner=[], plain=[])
    run_medians: Dict[str, List[float]] = dict(runner=[], plain=[])
    for r in range(args.rounds):
        order = ('plain', 'runner') if r % 2 == 0 else ('runner', 'plain')
        for side in order:
            cfg = training_cfg(args, data_root, osp.join(work_dir, f'{tag}_runner_{r}'),
                               f'benchmark_{tag}_{os.getpid()}_{r}')
            start = time.perf_counter()
            if side == 'runner':
                durations = run_runner(cfg, device)[args.warmup:]
            else:
                durations = run_plain(cfg, args, device)[0][args.warmup:]
            times[side] += durations
            run_medians[side].append(statistics.median(durations))
            print(f'[{tag}] round {r + 1}/{args.rounds} {side}: {len(durations)} timed '
                  f'iterations, median {run_medians[side][-1]:.4f} s/iter '
                  f'(run incl. set-up {time.perf_counter() - start:.1f} s)', flush=True)
    runner, plain = summarize_times(times['runner']), summarize_times(times['plain'])
    out['sequential'] = dict(
        runner=runner, plain=plain, run_medians=run_medians,
        round_overheads=[a / b - 1 for a, b in zip(run_medians['runner'], run_medians['plain'])],
        overhead=relative_overhead(runner['median'], plain['median']),
        overhead_mean=relative_overhead(runner['mean'], plain['mean']))
    return out


# -------------------------------------------------------------------------------- (b) generation
def generation_dataset_cfg(data_root: str, size: int, ann_file: str) -> dict:
    return dict(
        type='SyntheticWSSSDataset', data_root=data_root, ann_file=ann_file,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(size, size), keep_ratio=False),
            dict(type='PackSegInputs'),
        ])


def run_generator(model, dataset_cfg: dict, out_dir: str, scales, batch: int, workers: int,
                  evaluate: bool = False) -> Tuple[float, int]:
    """Seconds of ``PseudoLabelGenerator.generate`` (its ``prepare`` is not timed) and images."""
    from mmwsss.apis import PseudoLabelGenerator
    gen = PseudoLabelGenerator(
        dataset_cfg, out_dir, scales=scales, flip=False, pseudo_label_cfg=dict(mode='saliency'),
        batch_size=batch, num_workers=workers, evaluate=evaluate)
    gen.prepare()
    with contextlib.redirect_stdout(io.StringIO()):  # its progress bar
        start = time.perf_counter()
        written = gen.generate(model, logger='silent')
        seconds = time.perf_counter() - start
    return seconds, written


def run_straightforward(model, dataset_cfg: dict, out_dir: str,
                        scales) -> Tuple[float, int, float]:
    """The plain loop: per image, load, run every scale separately, fuse, save, label, save.

    Same outputs as the generator (``<out>/maps/<id>.npz``, ``<out>/labels/<id>.png``), written by
    the same functions; everything in the main thread. Dataset building is not timed.

    Returns:
        tuple: seconds in all, images, seconds spent in the model (normalisation, the forward
        passes and the fusion of the maps), the rest being reading, labelling and writing.
    """
    import numpy as np
    import torch

    from mmwsss.apis.storage import full_palette, image_id, save_label_png, save_maps
    from mmwsss.datasets.transforms import LoadSaliencyMap
    from mmwsss.pseudo_labels import generate_pseudo_label, maps_to_uint8, uint8_to_maps
    from mmwsss.registry import DATASETS

    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    palette = full_palette(dataset.metainfo.get('palette'))
    num_fg = len(dataset.metainfo['classes']) - 1
    os.makedirs(osp.join(out_dir, 'maps'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'labels'), exist_ok=True)
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
                    dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False)
                images = data['inputs']
                left, right, top, bottom = data['data_samples'][0].metainfo.get(
                    'padding_size', (0, 0, 0, 0))
                images = images[..., top:images.shape[-2] - bottom, left:images.shape[-1] - right]
                out_size = tuple(packed['data_samples'].metainfo['ori_shape'][:2])
                cls = np.asarray(sorted(info['cls_labels']), dtype=np.int64)
                labels = torch.zeros((1, num_fg), device=images.device)
                labels[0, cls - 1] = 1
                fused = None
                for scale in scales:  # one scale at a time
                    model.test_cfg['scales'] = (scale, )
                    maps, _ = model.localization_maps(images, out_size=out_size, labels=labels)
                    fused = maps if fused is None else torch.maximum(fused, maps)
                fused = fused[0, cls - 1].cpu()
                model_s += time.perf_counter() - model_start
                stored = maps_to_uint8(fused.numpy())
                img_id = image_id(info['img_path'])
                save_maps(osp.join(out_dir, 'maps', img_id + '.npz'), stored, cls)
                saliency = load_sal.transform(
                    dict(sal_path=info['sal_path'], img_path=info['img_path'],
                         seg_fields=[]))['gt_saliency']
                dense = np.zeros((num_fg, ) + stored.shape[1:], np.float32)
                dense[cls - 1] = uint8_to_maps(stored)
                label = generate_pseudo_label(dense, dict(mode='saliency'), saliency=saliency,
                                              cls_labels=cls.tolist())
                save_label_png(osp.join(out_dir, 'labels', img_id + '.png'), label, palette)
    finally:
        model.test_cfg['scales'] = old_scales
    return time.perf_counter() - start, len(dataset), model_s


def compare_outputs(dir_a: str, dir_b: str) -> dict:
    """Largest difference of the stored uint8 maps and share of equal label pixels."""
    import numpy as np

    from mmwsss.apis.storage import load_label_png, load_maps
    max_diff, equal, total = 0, 0, 0
    for name in sorted(os.listdir(osp.join(dir_a, 'maps'))):
        maps_a, _ = load_maps(osp.join(dir_a, 'maps', name))
        maps_b, _ = load_maps(osp.join(dir_b, 'maps', name))
        max_diff = max(max_diff, int(np.abs(maps_a.astype(int) - maps_b.astype(int)).max()))
        png = name[:-4] + '.png'
        lab_a = load_label_png(osp.join(dir_a, 'labels', png))
        lab_b = load_label_png(osp.join(dir_b, 'labels', png))
        equal += int((lab_a == lab_b).sum())
        total += lab_a.size
    return dict(max_map_diff=max_diff, label_agreement=equal / max(total, 1))


def bench_generation(args, cfg, data_root: str, work_dir: str, device) -> dict:
    import torch

    from mmwsss.utils.benchmark_utils import scaled_test_scales
    scales = scaled_test_scales(args.size)
    ds_cfg = generation_dataset_cfg(data_root, args.size, 'ImageSets/Segmentation/train.txt')
    model = build_model(cfg, args, device).eval()
    with torch.no_grad():  # warm-up of both batch shapes at every scale
        for bsz in sorted({1, args.gen_batch}):
            for side in scales:
                model._forward(torch.zeros(bsz, 3, side, side, device=device))
    rates: Dict[str, List[float]] = dict(generator=[], loop=[])
    model_shares: List[float] = []
    dirs = {}
    for r in range(args.gen_rounds):
        order = ('loop', 'generator') if r % 2 == 0 else ('generator', 'loop')
        for side in order:
            out = osp.join(work_dir, f'gen_{side}_{r}')
            shutil.rmtree(out, ignore_errors=True)
            if side == 'generator':
                seconds, count = run_generator(model, ds_cfg, out, scales, args.gen_batch,
                                               args.gen_workers)
            else:
                seconds, count, model_s = run_straightforward(model, ds_cfg, out, scales)
                model_shares.append(model_s / seconds)
            rates[side].append(count / seconds)
            dirs[side] = out
            print(f'[gen] round {r + 1}/{args.gen_rounds} {side}: {count} images in '
                  f'{seconds:.2f} s = {count / seconds:.2f} images/s', flush=True)
    result = dict(scales=scales, generator=statistics.median(rates['generator']),
                  loop=statistics.median(rates['loop']), rates=rates)
    # back-to-back runs share the machine's load: the median of their ratios is the robust figure
    result['round_speedups'] = [a / b for a, b in zip(rates['generator'], rates['loop'])]
    result['speedup'] = statistics.median(result['round_speedups'])
    result['speedup_of_medians'] = result['generator'] / result['loop']
    # Amdahl: hiding all reading and writing behind an unchanged model gives at most 1 / share
    result['model_share'] = statistics.median(model_shares)
    result.update(compare_outputs(dirs['generator'], dirs['loop']))
    return result


# ------------------------------------------------------------------------------------ (c) memory
def memory_child(spec: dict) -> None:
    """In a fresh process: generate (and score) ``spec['ann_file']`` and print the RSS marks."""
    _imports()
    from mmengine.config import Config

    from mmwsss.apis import PseudoLabelGenerator
    from mmwsss.utils.benchmark_utils import peak_rss_mib, reset_peak_rss, scaled_test_scales

    cfg = Config.fromfile(spec['config'])
    args = argparse.Namespace(seed=0, widen_factor=spec['widen_factor'], classes=spec['classes'])
    model = build_model(cfg, args, spec['device']).eval()
    ds_cfg = generation_dataset_cfg(spec['data_root'], spec['size'], spec['ann_file'])
    gen = PseudoLabelGenerator(
        ds_cfg, spec['out_dir'], scales=scaled_test_scales(spec['size']), flip=False,
        pseudo_label_cfg=dict(mode='saliency'), batch_size=spec['batch'],
        num_workers=spec['workers'], evaluate=True)
    gen.prepare()
    reset_peak_rss()  # the marks below are peaks of what ran after each reset
    marks = dict(before=peak_rss_mib())
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        written = gen.generate(model, logger='silent')
        gen_s = time.perf_counter() - start
        marks['generation'] = peak_rss_mib()
        reset_peak_rss()
        metrics = gen.score(logger='silent')
        marks['scoring'] = peak_rss_mib()
    print('MEMORY ' + json.dumps(dict(marks=marks, images=written, seconds=gen_s,
                                      metrics=len(metrics))))


def bench_memory(args, data_root: str, work_dir: str, device) -> dict:
    results = {}
    for count in args.mem_counts:
        spec = dict(config=args.config, widen_factor=args.widen_factor, classes=args.classes,
                    device=str(device), data_root=data_root, size=args.mem_size,
                    ann_file=f'ImageSets/Segmentation/first{count}.txt',
                    out_dir=osp.join(work_dir, f'mem_{count}'), batch=args.gen_batch,
                    workers=args.gen_workers)
        shutil.rmtree(spec['out_dir'], ignore_errors=True)  # finished images would be skipped
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, osp.abspath(__file__), '--mem-child', json.dumps(spec),
             '--threads', str(args.threads), '--omp-wait-policy', args.omp_wait_policy],
            capture_output=True, text=True, cwd=REPO)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('MEMORY ')]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f'benchmark: the memory run over {count} images failed '
                               f'(exit {proc.returncode}):\n{proc.stderr[-3000:]}')
        results[count] = json.loads(lines[-1][len('MEMORY '):])
        marks = results[count]['marks']
        print(f'[mem] {count} images: generation {results[count]["seconds"]:.1f} s, RSS before '
              f'{marks["before"]["current"]:.0f} MiB, peak in generation '
              f'{marks["generation"]["self"]:.0f} MiB, in scoring {marks["scoring"]["self"]:.0f} '
              f'MiB (process {time.perf_counter() - start:.1f} s)', flush=True)
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
                return self.inner.head(self.inner.backbone(x))

        return MapNet(model)


def forward_flops(cfg, widen_factor: float, classes: int, sizes: Sequence[int]) -> int:
    """Analytic forward FLOPs per image summed over square inputs ``sizes`` (shapes only: the
    model runs on PyTorch's meta device, so even the full-size count is instant)."""
    import torch

    from mmwsss.registry import MODELS
    from mmwsss.utils.benchmark_utils import count_conv_flops
    with torch.device('meta'):
        model = MODELS.build(model_cfg(cfg, widen_factor, classes))
    net = _MapNet.of(model).eval()
    return sum(
        count_conv_flops(net, torch.zeros(1, 3, s, s, device='meta'))['per_sample'] for s in sizes)


def bench_flops(args, cfg, device) -> dict:
    import torch
    from mmengine.analysis import FlopAnalyzer

    from mmwsss.utils.benchmark_utils import count_conv_flops, matmul_gflops, scaled_test_scales
    model = build_model(cfg, args, 'cpu').eval()
    net = _MapNet.of(model)
    x = torch.zeros(1, 3, args.size, args.size)
    analytic = count_conv_flops(net, x)['per_sample']
    try:
        analyzer = FlopAnalyzer(net, (x, ))
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        mmengine_macs = int(analyzer.total())
    except Exception as e:  # tracing is best effort; the analytic count stands alone
        print(f'[flops] mmengine.analysis failed: {type(e).__name__}: {e}')
        mmengine_macs = None
    gen_flops = forward_flops(cfg, args.widen_factor, args.classes,
                              scaled_test_scales(args.size))
    paper = forward_flops(cfg, FULL_PRESET['widen_factor'], 20, [FULL_PRESET['size']])
    probe = forward_flops(cfg, PROBE['widen_factor'], args.classes, [PROBE['size']])
    params = sum(p.numel() for p in model.parameters())
    mm = matmul_gflops(args.matmul_n, device=device)
    print(f'[flops] forward {analytic / 1e9:.3f} GFLOP/image, torch.mm {mm["gflops"]:.1f} GFLOP/s',
          flush=True)
    return dict(forward=analytic, mmengine_macs=mmengine_macs, train=3 * analytic,
                generation=gen_flops, params=params, matmul=mm, paper_train=3 * paper,
                probe_train=3 * probe)


# ------------------------------------------------------------------------------------ the report
def machine_info(device) -> dict:
    import mmengine
    import mmseg
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open('/proc/meminfo') as f:
            mem_gib = int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    if device.type == 'cuda':
        cpu += f'; GPU {torch.cuda.get_device_name(device)}'
    return dict(cpu=cpu, cpus=os.cpu_count(), threads=torch.get_num_threads(), mem_gib=mem_gib,
                omp_wait_policy=os.environ.get('OMP_WAIT_POLICY', 'unset'),
                python=platform.python_version(), torch=torch.__version__,
                mmengine=mmengine.__version__, mmseg=mmseg.__version__,
                device=str(device), load=os.getloadavg())


def render(args, info: dict, res: dict, command: str, seconds: float) -> str:
    from mmwsss.utils.benchmark_utils import format_si as f
    from mmwsss.utils.benchmark_utils import markdown_table
    width = max(1, int(round(512 * args.widen_factor)))
    lines = [
        '## Benchmark figures', '',
        f'Command: `{command}` ({seconds / 60:.1f} min in all).', '',
        f'Machine: {info["cpu"]}, {info["cpus"]} CPUs visible, {info["threads"]} torch threads '
        f'(OMP_WAIT_POLICY={info["omp_wait_policy"]})'
        + (f', {info["mem_gib"]:.0f} GiB RAM' if info['mem_gib'] else '')
        + f'; device {info["device"]}; Python {info["python"]}, torch {info["torch"]}, '
        f'MMEngine {info["mmengine"]}, MMSeg {info["mmseg"]}. Load average (1/5/15 min) at the '
        f'start {"/".join(f"{v:.1f}" for v in info["load"])}, at the end '
        f'{"/".join(f"{v:.1f}" for v in info["load_end"])}: a shared machine, so the figures are '
        'noisy.', '',
        f'Model: CAMClassifier(DRSVGG x{args.widen_factor:g} (stage-5 width {width}), CAMHead, '
        f'learnable DRS), {args.classes} foreground classes, random (He) weights; synthetic '
        f'{args.size}x{args.size} images.', ''
    ]
    if 'train' in res:
        t = res['train']
        il = t['interleaved']
        ok = il['overhead'] <= GOALS['train_overhead']
        rows = [['MMEngine Runner (our config)', f(il['runner']['median']),
                 f(il['runner']['mean']), f(il['runner']['iqr']),
                 f(args.batch / il['runner']['median'])],
                ['plain PyTorch loop', f(il['plain']['median']), f(il['plain']['mean']),
                 f(il['plain']['iqr']), f(args.batch / il['plain']['median'])]]
        lines += [
            f'### (a) Training iteration (batch {args.batch}, {args.size}x{args.size})', '',
            'Both loops use the same DataLoader (`Runner.build_dataloader`: the config\'s '
            f'dataset, pipeline, sampler, collate and seeds, {args.workers} workers), the same '
            'four SGD groups from `DRSOptimWrapperConstructor` '
            f'({t["group_sizes"]} tensors) and the same MultiStepLR; the plain loop normalises '
            'the batch with three tensor ops and calls backbone -> head -> loss -> backward -> '
            'step itself, the Runner adds its data preprocessor, OptimWrapper, hooks, message '
            'hub and logger (checkpoint saving is left out). An iteration is timed from the end '
            'of the previous one to the end of its step and hooks, data fetch included.', '',
            f'Interleaved (the figure for the goal): one Runner run of {args.warmup} + '
            f'{args.pairs} iterations, a hook of the lowest priority running one plain step after '
            'each, so both loops see the same machine load; the first '
            f'{args.warmup} pairs are dropped.', '',
            markdown_table(['loop', 'median s/iter', 'mean s/iter', 'IQR s',
                            'images/s (median)'], rows), '',
            f'**Runner overhead: {100 * il["overhead"]:+.1f}%** (median of the per-pair ratios; '
            f'ratio of the medians {100 * il["overhead_of_medians"]:+.1f}%, of the means '
            f'{100 * il["overhead_of_means"]:+.1f}%; median per-pair difference '
            f'{1e3 * il["difference"]:+.1f} ms) -- goal <= '
            f'{100 * GOALS["train_overhead"]:.0f}%: {"met" if ok else "MISSED"}.', ''
        ]
        ctl = t.get('control')
        if ctl:
            lines += [
                'A/A control (the noise floor of this comparison on this machine): two identical '
                'plain loops interleaved the same way: '
                f'{f(ctl["first"]["median"])} vs {f(ctl["second"]["median"])} s/iter, '
                f'**{100 * ctl["difference"]:+.1f}%** between two copies of the same loop (median '
                f'of the per-pair ratios; ratio of the medians {100 * ctl["of_medians"]:+.1f}%).',
                ''
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
                f'{", ".join(f"{100 * v:+.1f}%" for v in sq["round_overheads"])}.', ''
            ]
    if 'probe' in res:
        p = res['probe']['interleaved']
        diff = p['difference']
        lines += [
            'Fixed per-iteration cost (probe): the interleaved comparison on a '
            f'x{PROBE["widen_factor"]:g} {PROBE["size"]}x{PROBE["size"]} model (batch '
            f'{args.batch}), whose compute is small enough for the loops\' own costs to show: '
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
                f'machine would need about {f(paper_s)} s per iteration at the plain loop\'s '
                f'{f(rate / 1e9)} GFLOP/s, so a fixed cost of this size is '
                f'{100 * max(diff, 0) / paper_s:.4f}% there.')
        lines.append('')
    if 'gen' in res:
        g = res['gen']
        ok = g['speedup'] >= GOALS['gen_speedup']
        lines += [
            f'### (b) Localization maps + pseudo labels ({args.gen_images} images, scales '
            f'{list(g["scales"])}, saliency rule)', '',
            f'Generator: `PseudoLabelGenerator(batch_size={args.gen_batch}, '
            f'num_workers={args.gen_workers})` (images batched; scales run one after another '
            'inside `localization_maps`; images and saliency maps read by the workers while the '
            'model runs; files written in the main process). Straightforward loop: one image and '
            'one scale at a time, reading and writing in the same thread. Both write the same '
            'npz + PNG files with the same functions; set-up (dataset build, checks) not timed. '
            f'Rates per round: generator {[round(v, 2) for v in g["rates"]["generator"]]}, loop '
            f'{[round(v, 2) for v in g["rates"]["loop"]]} images/s.', '',
            markdown_table(['method', 'images/s (median)'],
                           [['PseudoLabelGenerator', f(g['generator'])],
                            ['straightforward loop', f(g['loop'])]]), '',
            f'**Speed-up: {g["speedup"]:.2f}x** (median of the per-round ratios '
            f'{[round(v, 2) for v in g["round_speedups"]]}; ratio of the medians '
            f'{g["speedup_of_medians"]:.2f}x) -- goal >= {GOALS["gen_speedup"]:g}x: '
            f'{"met" if ok else "MISSED"}. In the straightforward loop the model (normalisation, '
            f'forward passes, fusion) takes {100 * g["model_share"]:.0f}% of the time, so hiding '
            'all reading, labelling and writing behind it gives at most '
            f'{1 / g["model_share"]:.2f}x; the rest must come from batching. '
            'Outputs agree: stored maps differ by at most '
            f'{g["max_map_diff"]}/255 (batched vs single convolutions round differently), '
            f'{100 * g["label_agreement"]:.2f}% of label pixels equal.', ''
        ]
    if 'mem' in res:
        m = res['mem']
        counts = sorted(m)
        rows = []
        for c in counts:
            marks = m[c]['marks']
            rows.append([str(c), f(marks['before']['current']), f(marks['generation']['self']),
                         f(marks['generation']['self'] - marks['before']['current']),
                         f(marks['scoring']['self']), f(m[c]['seconds'])])
        small, large = m[counts[0]]['marks'], m[counts[-1]]['marks']
        ratio = large['generation']['self'] / small['generation']['self']
        ratio_score = large['scoring']['self'] / small['scoring']['self']
        ok = ratio <= GOALS['mem_ratio']
        lines += [
            f'### (c) Peak memory of generation ({args.mem_size}x{args.mem_size} images, batch '
            f'{args.gen_batch}, {args.gen_workers} workers)', '',
            'Resident set size of the main process (`VmHWM`/`VmRSS` of `/proc/self/status`: '
            'the whole process -- Python objects, tensors, libraries -- not tracemalloc), each '
            'count in a fresh process. "before" is the RSS after imports, model build and '
            '`prepare()`; the high-water mark is then reset (`/proc/self/clear_refs`), so each '
            'peak is the peak of that phase alone. Data-loader workers are separate processes and '
            'not included.', '',
            markdown_table(['images', 'RSS before MiB', 'peak in generation MiB',
                            'generation adds MiB', 'peak in scoring MiB', 'generation s'], rows),
            '',
            f'**Peak in generation, {counts[-1]} vs {counts[0]} images: {ratio:.3f}x** (scoring '
            f'{ratio_score:.3f}x) -- goal about 1x (<= {GOALS["mem_ratio"]:g}x): '
            f'{"met" if ok else "MISSED"}.', ''
        ]
    if 'flops' in res:
        fl = res['flops']
        rows = [['forward, one image', f(fl['forward'] / 1e9)],
                ['training step, one image (~3x forward)', f(fl['train'] / 1e9)],
                ['generation, one image (all scales)', f(fl['generation'] / 1e9)],
                ['paper size: training step, one 320x320 image, DRS-VGG16 x1, 20 classes',
                 f(fl['paper_train'] / 1e9)]]
        lines += [
            '### (d) FLOPs and achieved throughput', '',
            'FLOPs counted analytically from forward hooks: 2 per multiply-add of every Conv2d and '
            'Linear (+1 per bias); DRS suppressors, ReLU and pooling are not counted.'
            + (f' `mmengine.analysis.FlopAnalyzer` counts {f(fl["mmengine_macs"] / 1e9)} G '
               'multiply-adds per forward (fvcore convention: 1 "flop" = 1 multiply-add), i.e. '
               f'{f(2 * fl["mmengine_macs"] / 1e9)} GFLOP.' if fl['mmengine_macs'] else '')
            + f' Parameters: {fl["params"] / 1e6:.2f} M.', '',
            markdown_table(['work', 'GFLOP'], rows), ''
        ]
        rows = [[f'dense torch.mm {args.matmul_n}x{args.matmul_n} fp32 (median of 5)',
                 f(fl['matmul']['gflops']), '100%']]
        il = res.get('train', {}).get('interleaved', {})
        for name, value in (('training, plain loop', il.get('plain', {}).get('median')),
                            ('training, Runner', il.get('runner', {}).get('median'))):
            if value:
                rate = args.batch * fl['train'] / value / 1e9
                rows.append([name, f(rate), f'{100 * rate / fl["matmul"]["gflops"]:.0f}%'])
        gen = res.get('gen', {})
        for name, value in (('generation, PseudoLabelGenerator', gen.get('generator')),
                            ('generation, straightforward loop', gen.get('loop'))):
            if value:
                rate = value * fl['generation'] / 1e9
                rows.append([name, f(rate), f'{100 * rate / fl["matmul"]["gflops"]:.0f}%'])
        lines += [markdown_table(['what', 'achieved GFLOP/s', 'of matmul'], rows), '']
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    _set_threads(args.threads, args.omp_wait_policy)
    if args.mem_child:
        memory_child(json.loads(args.mem_child))
        return
    _imports()
    import torch
    from mmengine.config import Config

    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    command = 'python tools/analysis_tools/benchmark.py' + ''.join(
        f' {a}' for a in (argv if argv is not None else sys.argv[1:]))
    info = machine_info(device)
    print(f'[benchmark] {info["cpu"]}; {info["threads"]} torch threads; device {device}; '
          f'sections {args.sections}', flush=True)
    start = time.perf_counter()
    own_dir = args.work_dir is None
    work_dir = tempfile.mkdtemp(prefix='mmwsss-benchmark-') if own_dir else osp.abspath(
        args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    cfg = Config.fromfile(args.config)
    res: dict = {}
    try:
        if 'train' in args.sections:
            root = osp.join(work_dir, 'data_train')
            make_dataset(root, min(200, args.batch * (args.warmup + args.iters)), args.size,
                         args.classes, args.seed)
            res['train'] = bench_training(args, root, work_dir, device, control=args.control)
            if args.probe:
                probe = argparse.Namespace(**vars(args))
                probe.widen_factor, probe.size = PROBE['widen_factor'], PROBE['size']
                probe.pairs = max(args.pairs, PROBE['pairs'])
                root = osp.join(work_dir, 'data_probe')
                make_dataset(root, min(200, args.batch * (args.warmup + args.iters)), probe.size,
                             args.classes, args.seed)
                res['probe'] = bench_training(probe, root, work_dir, device, tag='probe',
                                              sequential=False)
        if 'gen' in args.sections:
            root = osp.join(work_dir, 'data_gen')
            make_dataset(root, args.gen_images, args.size, args.classes, args.seed + 1)
            res['gen'] = bench_generation(args, cfg, root, work_dir, device)
        if 'mem' in args.sections:
            root = osp.join(work_dir, 'data_mem')
            make_dataset(root, max(args.mem_counts), args.mem_size, args.classes, args.seed + 2,
                         subsets=args.mem_counts)
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
