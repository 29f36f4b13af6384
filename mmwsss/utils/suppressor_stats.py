# Copyright (c) mmwsss contributors. All rights reserved.
"""What the DRS suppressors of a model do to real inputs: per layer, the ratio ``delta`` they apply and
the share of positions they clip. Used by ``tools/analysis_tools/suppressor_stats.py``."""
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional

import torch
from torch import Tensor, nn

from mmwsss.models.layers.drs import DRS

__all__ = ['SuppressorStats', 'collect_suppressor_stats', 'format_suppressor_stats']


@dataclass
class SuppressorStats:
    """Statistics of one suppressor over the images seen.

    Attributes:
        name (str): The module's name in the model.
        channels (int): Channels of its input.
        learnable (bool): Whether ``delta`` is predicted.
        delta_mean / delta_min / delta_max (float): Over every (image, channel) pair.
        clipped (float): Share of positions with ``relu(x) > delta * max`` (set to the cap).
        dead (float): Share of (image, channel) maps that are zero everywhere after the ReLU.
        count (int): Images seen.
    """
    name: str
    channels: int
    learnable: bool
    delta_mean: float = 0.0
    delta_min: float = float('inf')
    delta_max: float = float('-inf')
    clipped: float = 0.0
    dead: float = 0.0
    count: int = 0


class _Accumulator:
    """Running sums of one suppressor's statistics, fed by a forward hook."""

    def __init__(self, name: str, module: DRS) -> None:
        self.name, self.module = name, module
        self.delta_sum = self.clipped_sum = self.dead_sum = 0.0
        self.maps = self.positions = self.images = self.channels = 0
        self.delta_min, self.delta_max = float('inf'), float('-inf')

    def __call__(self, module: DRS, inputs: tuple, output: Tensor) -> None:
        r = torch.relu(inputs[0])
        flat = r.flatten(2)  # (B, C, HW)
        peak = flat.amax(dim=2, keepdim=True)
        delta = module.suppression_ratio(r).flatten(2)  # (B, C, 1)
        self.delta_sum += float(delta.sum())
        self.delta_min = min(self.delta_min, float(delta.min()))
        self.delta_max = max(self.delta_max, float(delta.max()))
        self.clipped_sum += float((flat > peak * delta).sum())
        self.dead_sum += float((peak == 0).sum())
        self.maps += flat.shape[0] * flat.shape[1]
        self.positions += flat.numel()
        self.images += flat.shape[0]
        self.channels = flat.shape[1]

    def result(self) -> SuppressorStats:
        if not self.maps:
            raise RuntimeError(f'suppressor {self.name} saw no input: is it on the forward path?')
        return SuppressorStats(
            name=self.name, channels=self.channels, learnable=self.module.learnable,
            delta_mean=self.delta_sum / self.maps, delta_min=self.delta_min,
            delta_max=self.delta_max, clipped=self.clipped_sum / self.positions,
            dead=self.dead_sum / self.maps, count=self.images)


@torch.no_grad()
def collect_suppressor_stats(model: nn.Module, batches: Iterable,
                             forward: Optional[Callable[[Any], object]] = None) -> List[SuppressorStats]:
    """Run ``model`` over batches and gather the statistics of every :class:`DRS` in it.

    Args:
        model (nn.Module): Any model holding DRS layers (put it in eval mode first).
        batches (Iterable): Normalised inputs, each of shape (B, 3, H, W); anything ``forward``
            takes when it is given.
        forward (callable, optional): How to run one batch; defaults to ``model._forward`` when the
            model has it (an MMSeg segmentor: backbone and head), else ``model``.

    Returns:
        list[SuppressorStats]: One entry per suppressor, in the model's module order.

    Raises:
        ValueError: If the model has no DRS layer.
    """
    accumulators: Dict[str, _Accumulator] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, DRS):
            accumulators[name] = _Accumulator(name, module)
            handles.append(module.register_forward_hook(accumulators[name]))
    if not accumulators:
        raise ValueError(f'{type(model).__name__} has no DRS suppressor')
    if forward is None:
        forward = getattr(model, '_forward', model)
    try:
        for inputs in batches:
            forward(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return [acc.result() for acc in accumulators.values()]


def format_suppressor_stats(stats: List[SuppressorStats]) -> str:
    """A markdown table of :func:`collect_suppressor_stats`'s result (shares in %)."""
    lines = [
        '| layer | channels | delta mean | delta min | delta max | clipped % | dead maps % |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ]
    for s in stats:
        lines.append(f'| {s.name} | {s.channels} | {s.delta_mean:.3f} | {s.delta_min:.3f} | '
                     f'{s.delta_max:.3f} | {100 * s.clipped:.1f} | {100 * s.dead:.1f} |')
    return '\n'.join(lines)
