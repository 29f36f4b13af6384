# Copyright (c) mmwsss contributors. All rights reserved.
"""Small measuring helpers of ``tools/analysis_tools/benchmark.py`` (timing summaries, FLOP counts,
peak memory, markdown tables).

Nothing here asserts a speed: the functions measure or format, the benchmark script prints.
"""

import math
import resource
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.hooks import Hook
from torch import Tensor, nn

__all__ = [
    'summarize_times',
    'relative_overhead',
    'paired_overhead',
    'scaled_test_scales',
    'count_conv_flops',
    'matmul_gflops',
    'peak_rss_mib',
    'reset_peak_rss',
    'markdown_table',
    'IterationClock',
    'RunnerIterClock',
    'InterleavedStepClock',
    'format_si',
    'paired_speedup',
    'rotated',
    'OutputAgreement',
]

#: The official DRS generation scales, for a square 320 input.
OFFICIAL_SCALES = (256, 320, 384)
OFFICIAL_INPUT = 320


def summarize_times(times: Sequence[float], warmup: int = 0) -> Dict[str, float]:
    """Median, mean, min, max and count of durations after dropping the first ``warmup``.

    Args:
        times (Sequence[float]): Durations in seconds, in the order they were measured.
        warmup (int): How many leading durations to drop. Defaults to 0.

    Returns:
        dict[str, float]: ``median``, ``mean``, ``min``, ``max``, ``n`` (as float), and
        ``iqr`` (inter-quartile range; 0 with fewer than two values).

    Raises:
        ValueError: If ``warmup`` is negative or nothing is left after it.
    """
    if warmup < 0:
        raise ValueError(f'summarize_times: warmup must be >= 0, got {warmup}.')
    kept = [float(t) for t in times[warmup:]]
    if not kept:
        raise ValueError(
            f'summarize_times: {len(times)} durations and warmup {warmup} leave '
            'nothing to summarise; measure more iterations.'
        )
    if len(kept) >= 2:
        quartiles = statistics.quantiles(kept, n=4, method='inclusive')
        iqr = quartiles[2] - quartiles[0]
    else:
        iqr = 0.0
    return dict(
        median=statistics.median(kept),
        mean=statistics.fmean(kept),
        min=min(kept),
        max=max(kept),
        n=float(len(kept)),
        iqr=iqr,
    )


def relative_overhead(measured: float, reference: float) -> float:
    """``measured / reference - 1``: 0.05 means 5% slower than the reference.

    Raises:
        ValueError: If ``reference`` is not positive.
    """
    if not reference > 0:
        raise ValueError(f'relative_overhead: the reference must be > 0, got {reference}.')
    return measured / reference - 1.0


def paired_overhead(measured: Sequence[float], reference: Sequence[float]) -> Dict[str, float]:
    """Paired comparison of durations measured in turns (``measured[i]`` next to
    ``reference[i]``, under the same machine load).

    Returns:
        dict[str, float]: ``ratio``: the median of ``measured[i] / reference[i] - 1`` (the robust
        relative overhead); ``difference``: the median of ``measured[i] - reference[i]`` (seconds);
        ``n``: the number of pairs.

    Raises:
        ValueError: If the lengths differ, nothing is given, or a reference is not positive.
    """
    if len(measured) != len(reference) or not measured:
        raise ValueError(
            f'paired_overhead: need two non-empty sequences of the same length, got '
            f'{len(measured)} and {len(reference)}.'
        )
    if min(reference) <= 0:
        raise ValueError('paired_overhead: reference durations must be > 0.')
    return dict(
        ratio=statistics.median(m / r - 1.0 for m, r in zip(measured, reference)),
        difference=statistics.median(m - r for m, r in zip(measured, reference)),
        n=float(len(measured)),
    )


def paired_speedup(reference: Sequence[float], measured: Sequence[float]) -> float:
    """How many times faster ``measured`` is than ``reference``, from durations taken in turns:
    the median of ``reference[i] / measured[i]`` (2.0: twice as fast).

    Raises:
        ValueError: As :func:`paired_overhead` (lengths differ, nothing given, a duration <= 0).
    """
    if len(measured) != len(reference) or not measured:
        raise ValueError(
            f'paired_speedup: need two non-empty sequences of the same length, got '
            f'{len(reference)} and {len(measured)}.'
        )
    if min(measured) <= 0 or min(reference) <= 0:
        raise ValueError('paired_speedup: durations must be > 0.')
    return statistics.median(r / m for r, m in zip(reference, measured))


def rotated(items: Sequence, shift: int) -> list:
    """``items`` rotated left by ``shift`` (modulo its length): the running order of round
    ``shift`` when every side should go first equally often, e.g. ``rotated('abc', 1) == ['b',
    'c', 'a']``."""
    items = list(items)
    if not items:
        return items
    shift %= len(items)
    return items[shift:] + items[:shift]


def scaled_test_scales(
    size: int,
    official: Sequence[int] = OFFICIAL_SCALES,
    official_input: int = OFFICIAL_INPUT,
    multiple: int = 8,
) -> Tuple[int, ...]:
    """The official generation scales (256, 320, 384 for a 320 input) scaled to another input.

    Args:
        size (int): Side of the square generation input.
        official (Sequence[int]): The scales for ``official_input``. Defaults to (256, 320, 384).
        official_input (int): Defaults to 320.
        multiple (int): Round every side to a multiple of this (the backbone's output stride, so
            the feature grid is exact); at least ``multiple``. Defaults to 8.

    Returns:
        tuple[int, ...]: Square sides, e.g. (104, 128, 152) for ``size=128``.
    """
    if size < 1 or multiple < 1:
        raise ValueError(
            f'scaled_test_scales: size and multiple must be >= 1, got {size} and {multiple}.'
        )
    out = []
    for scale in official:
        side = scale * size / official_input
        out.append(max(multiple, int(round(side / multiple)) * multiple))
    return tuple(out)


def count_conv_flops(
    module: Union[nn.Module, Callable[[Tensor], object]],
    inputs: Tensor,
    modules: Optional[nn.Module] = None,
) -> Dict[str, int]:
    """Count the floating-point operations of the convolutions and linear layers of one forward.

    Analytic count from forward hooks: a ``Conv2d`` costs ``2 * out.numel() * (C_in / groups) *
    k_h * k_w`` (one multiply and one add per weight and output element) plus ``out.numel()`` for
    its bias; a ``Linear`` ``2 * out.numel() * in_features`` (+ bias). Element-wise work
    (activations, DRS suppressors, pooling, normalisation) is not counted: it is small next to the
    convolutions but memory-bound, so it costs more time than its FLOPs suggest.

    Args:
        module (nn.Module | Callable): Called as ``module(inputs)``.
        inputs (Tensor): The input batch, e.g. (B, 3, H, W).
        modules (nn.Module, optional): Where to look for the layers; defaults to ``module``
            (give it when ``module`` is a plain function).

    Returns:
        dict[str, int]: ``total`` (the whole batch), ``per_sample`` (``total // B``), ``conv`` and
        ``linear`` (batch totals), ``layers`` (how many layers ran).
    """
    root = modules if modules is not None else module
    if not isinstance(root, nn.Module):
        raise TypeError(
            'count_conv_flops: give the nn.Module holding the layers as `modules` '
            'when `module` is a function.'
        )
    counts = dict(conv=0, linear=0, layers=0)

    def conv_hook(layer: nn.Conv2d, args, out: Tensor) -> None:
        k_h, k_w = layer.kernel_size
        per_out = (layer.in_channels // layer.groups) * k_h * k_w
        flops = 2 * out.numel() * per_out
        if layer.bias is not None:
            flops += out.numel()
        counts['conv'] += flops
        counts['layers'] += 1

    def linear_hook(layer: nn.Linear, args, out: Tensor) -> None:
        flops = 2 * out.numel() * layer.in_features
        if layer.bias is not None:
            flops += out.numel()
        counts['linear'] += flops
        counts['layers'] += 1

    handles = []
    for layer in root.modules():
        if isinstance(layer, nn.Conv2d):
            handles.append(layer.register_forward_hook(conv_hook))
        elif isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            module(inputs)
    finally:
        for handle in handles:
            handle.remove()
    total = counts['conv'] + counts['linear']
    batch = int(inputs.shape[0]) if inputs.dim() > 0 else 1
    return dict(
        total=total,
        per_sample=total // max(batch, 1),
        conv=counts['conv'],
        linear=counts['linear'],
        layers=counts['layers'],
    )


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def matmul_gflops(
    n: int = 2048,
    repeats: int = 5,
    warmup: int = 2,
    device: Union[str, torch.device] = 'cpu',
    dtype: torch.dtype = torch.float32,
) -> Dict[str, float]:
    """Dense matrix-multiply speed: the median over ``repeats`` of ``2 n^3 / t`` for ``torch.mm``.

    Args:
        n (int): Side of the square matrices. Defaults to 2048.
        repeats (int): Timed multiplications. Defaults to 5.
        warmup (int): Untimed multiplications first. Defaults to 2.
        device (str | torch.device): Defaults to 'cpu'.
        dtype (torch.dtype): Defaults to float32.

    Returns:
        dict[str, float]: ``gflops`` (median), ``best_gflops``, ``seconds`` (median), ``n``.
    """
    if n < 1 or repeats < 1 or warmup < 0:
        raise ValueError(
            f'matmul_gflops: need n >= 1, repeats >= 1, warmup >= 0; got {n}, {repeats}, {warmup}.'
        )
    device = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen, dtype=dtype).to(device)
    b = torch.randn(n, n, generator=gen, dtype=dtype).to(device)
    for _ in range(warmup):
        torch.mm(a, b)
    _synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        _synchronize(device)
        times.append(time.perf_counter() - start)
    flops = 2.0 * n**3
    median = statistics.median(times)
    return dict(
        gflops=flops / median / 1e9,
        best_gflops=flops / min(times) / 1e9,
        seconds=median,
        n=float(n),
    )


def _proc_status_kib(field: str) -> Optional[int]:
    """A ``kB`` field of ``/proc/self/status`` (Linux), or None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mib() -> Dict[str, float]:
    """Resident-set-size marks of this process and of its finished children, in MiB.

    Returns:
        dict[str, float]: ``self``: this process's high-water mark (``VmHWM`` of
        ``/proc/self/status`` on Linux, which :func:`reset_peak_rss` can reset; elsewhere
        ``getrusage``'s ``ru_maxrss``); ``current``: its RSS now (``VmRSS``; nan where unknown);
        ``children``: the largest mark of its terminated, waited-for child processes (e.g. data
        loader workers that have exited; ``ru_maxrss`` of ``RUSAGE_CHILDREN``), 0 if none.
    """
    # getrusage: Linux reports KiB, macOS bytes.
    unit = 1.0 if sys.platform == 'darwin' else 1024.0
    hwm = _proc_status_kib('VmHWM')
    own = (
        hwm * 1024.0
        if hwm is not None
        else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit)
    )
    rss = _proc_status_kib('VmRSS')
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    return dict(
        self=own / 2**20,
        current=rss / 1024.0 if rss is not None else float('nan'),
        children=kids / 2**20,
    )


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark to its current RSS (Linux >= 4.0:
    ``echo 5 > /proc/self/clear_refs``), so that a later :func:`peak_rss_mib` shows the peak of
    what ran in between. Returns whether it worked."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def format_si(value: Optional[float], digits: int = 3) -> str:
    """A number with ``digits`` significant digits, without an exponent from 1e-4 up.

    ``format_si(1234.4) == '1234'`` (integer parts are never cut), ``format_si(0.012345) ==
    '0.0123'``; None is 'n/a', ``nan`` / ``inf`` are written as such.
    """
    if value is None:
        return 'n/a'
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return '0'
    # the magnitude after rounding to `digits` significant digits (99.96 -> 100)
    magnitude = int(math.floor(math.log10(abs(float(f'{value:.{digits - 1}e}')))))
    if magnitude >= digits - 1:
        return f'{value:.0f}'
    if magnitude < -4:
        return f'{value:.{digits - 1}e}'
    return f'{value:.{digits - 1 - magnitude}f}'


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table (cells converted with ``str``; ``|`` in cells escaped).

    Raises:
        ValueError: If a row's length differs from the header's.
    """

    def cell(value: object) -> str:
        return str(value).replace('|', '\\|').replace('\n', ' ')

    lines = [
        '| ' + ' | '.join(cell(h) for h in headers) + ' |',
        '| ' + ' | '.join('---' for _ in headers) + ' |',
    ]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(
                f'markdown_table: row {i} has {len(row)} cells, the header {len(headers)}.'
            )
        lines.append('| ' + ' | '.join(cell(v) for v in row) + ' |')
    return '\n'.join(lines)


class IterationClock:
    """Timestamps of iteration ends; ``durations()`` gives one duration per iteration.

    Call :meth:`start` once before the first iteration (before its data is fetched) and
    :meth:`tick` at the end of every iteration; each duration then covers everything the loop did
    for that iteration (data fetch, forward, backward, step, bookkeeping).

    Args:
        device (str | torch.device): A CUDA device is synchronised before every timestamp so that
            queued kernels are counted. Defaults to 'cpu'.
    """

    def __init__(self, device: Union[str, torch.device] = 'cpu') -> None:
        self.device = torch.device(device)
        self.stamps: List[float] = []

    def start(self) -> None:
        _synchronize(self.device)
        self.stamps = [time.perf_counter()]

    def tick(self) -> None:
        if not self.stamps:
            raise RuntimeError('IterationClock.tick called before start.')
        _synchronize(self.device)
        self.stamps.append(time.perf_counter())

    def durations(self) -> List[float]:
        return [b - a for a, b in zip(self.stamps, self.stamps[1:])]


# A Hook so the Runner's own loop is timed from the inside, at the points where the plain loop is
# timed; registered on a built runner with ``runner.register_hook(clock, 'LOWEST')``.
class RunnerIterClock(Hook):
    """Times every training iteration of an MMEngine Runner with an :class:`IterationClock`.

    Starts at the first ``before_train_iter`` (before that iteration's batch is fetched: MMEngine
    fetches it before calling the hook, so the first duration misses one fetch, which the warm-up
    drops anyway) and ticks at ``after_train_iter``. Register it with the lowest priority so that it
    runs after every other hook (logging, scheduling, checkpoints).

    Args:
        device (str | torch.device): Passed to :class:`IterationClock`. Defaults to 'cpu'.
    """

    priority = 'LOWEST'

    def __init__(self, device: Union[str, torch.device] = 'cpu') -> None:
        self.clock = IterationClock(device)
        self._started = False

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self._started:
            self.clock.start()
            self._started = True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.clock.tick()

    def durations(self) -> List[float]:
        return self.clock.durations()


# A Hook again, so another loop's step can run between the Runner's iterations, at the same
# machine load; registered with ``runner.register_hook(clock, 'LOWEST')``.
class InterleavedStepClock(Hook):
    """Runs ``step()`` after every Runner training iteration and times both in turn.

    ``runner_times[i]``: from the end of the previous ``step()`` (or the first
    ``before_train_iter``) to this hook's ``after_train_iter``, i.e. the Runner's fetch of the
    batch, its train step and every hook of a higher priority; ``step_times[i]``: the ``i``-th
    ``step()`` call. With the lowest priority, this hook runs after every other hook.

    Args:
        step (Callable[[], object]): One iteration of the other loop.
        device (str | torch.device): A CUDA device is synchronised before every timestamp.
            Defaults to 'cpu'.
    """

    priority = 'LOWEST'

    def __init__(
        self, step: Callable[[], object], device: Union[str, torch.device] = 'cpu'
    ) -> None:
        if not callable(step):
            raise TypeError(f'InterleavedStepClock: step must be callable, got {step!r}.')
        self.step = step
        self.device = torch.device(device)
        self.runner_times: List[float] = []
        self.step_times: List[float] = []
        self._mark: Optional[float] = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._mark is None:
            _synchronize(self.device)
            self._mark = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._mark is None:
            raise RuntimeError('InterleavedStepClock: after_train_iter before before_train_iter.')
        _synchronize(self.device)
        now = time.perf_counter()
        self.runner_times.append(now - self._mark)
        self.step()
        _synchronize(self.device)
        self._mark = time.perf_counter()
        self.step_times.append(self._mark - now)


class OutputAgreement:
    """How far two generation runs' outputs agree: stored uint8 maps and label PNGs.

    Feed it pairs of the same images' outputs (:meth:`add_maps`, :meth:`add_labels`); it keeps a
    256-bin histogram of the absolute map differences (in uint8 levels, i.e. units of 1/255) and
    counts equal label pixels, so its memory does not grow with the number of images.

    The project's criterion for a lower-precision run against fp32 is a mean map difference of at
    most 2/255 and at least 99.5% equal label pixels (``tests``); :meth:`summary` also gives the
    maximum and a high quantile, which can be large where a class's peak is near zero and the
    per-class normalisation amplifies rounding.
    """

    def __init__(self) -> None:
        self.histogram = np.zeros(256, dtype=np.int64)
        self.equal_labels = 0
        self.label_pixels = 0
        self.images = 0

    def add_maps(self, maps_a: np.ndarray, maps_b: np.ndarray) -> None:
        """Add one image's stored maps of both runs (uint8, the same shape).

        Raises:
            ValueError: If the shapes differ or the maps are not uint8.
        """
        maps_a, maps_b = np.asarray(maps_a), np.asarray(maps_b)
        if maps_a.shape != maps_b.shape:
            raise ValueError(
                f'OutputAgreement: map shapes differ, {maps_a.shape} and '
                f'{maps_b.shape}; were they made from the same image?'
            )
        if maps_a.dtype != np.uint8 or maps_b.dtype != np.uint8:
            raise ValueError(
                f'OutputAgreement: stored maps are uint8, got {maps_a.dtype} and {maps_b.dtype}.'
            )
        diff = np.abs(maps_a.astype(np.int16) - maps_b.astype(np.int16)).ravel()
        self.histogram += np.bincount(diff, minlength=256)
        self.images += 1

    def add_labels(self, label_a: np.ndarray, label_b: np.ndarray) -> None:
        """Add one image's pseudo labels of both runs (the same shape).

        Raises:
            ValueError: If the shapes differ.
        """
        label_a, label_b = np.asarray(label_a), np.asarray(label_b)
        if label_a.shape != label_b.shape:
            raise ValueError(
                f'OutputAgreement: label shapes differ, {label_a.shape} and {label_b.shape}.'
            )
        self.equal_labels += int((label_a == label_b).sum())
        self.label_pixels += label_a.size

    def quantile(self, q: float) -> int:
        """The smallest difference (levels) that at least a share ``q`` of map values reach
        or stay below; 0 without maps."""
        if not 0 <= q <= 1:
            raise ValueError(f'OutputAgreement.quantile: q must lie in [0, 1], got {q}.')
        total = int(self.histogram.sum())
        if total == 0:
            return 0
        return int(np.searchsorted(np.cumsum(self.histogram), q * total, side='left'))

    def summary(self) -> Dict[str, float]:
        """The agreement so far.

        Returns:
            dict[str, float]: ``mean_map_diff`` and ``max_map_diff`` (in 1/255 levels),
            ``q999_map_diff`` (99.9% of the map values differ by at most this), ``map_equal``
            (share of equal map values), ``map_values``, ``label_agreement`` (share of equal
            label pixels; nan without labels), ``label_pixels``, ``images``.
        """
        total = int(self.histogram.sum())
        levels = np.arange(256)
        nonzero = np.nonzero(self.histogram)[0]
        return dict(
            mean_map_diff=float((self.histogram * levels).sum() / total) if total else 0.0,
            max_map_diff=float(nonzero[-1]) if len(nonzero) else 0.0,
            q999_map_diff=float(self.quantile(0.999)),
            map_equal=float(self.histogram[0] / total) if total else float('nan'),
            map_values=float(total),
            label_agreement=(
                self.equal_labels / self.label_pixels if self.label_pixels else float('nan')
            ),
            label_pixels=float(self.label_pixels),
            images=float(self.images),
        )
