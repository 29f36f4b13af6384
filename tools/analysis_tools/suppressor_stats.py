# Copyright (c) mmwsss contributors. All rights reserved.
"""What the DRS suppressors of a model do on real images: per layer, delta and the share clipped.

    python tools/analysis_tools/suppressor_stats.py CONFIG [CHECKPOINT] [--num 40] [--split train] \
        [--batch-size 8] [--out FILE] [--cfg-options k=v ...]

Without a checkpoint the model is taken as training starts (``init_weights``: the pretrained
backbone of ``init_cfg`` and freshly initialised new layers). Prints a markdown table: per
suppressor, the mean / min / max of the ratio ``delta`` over (image, channel) pairs, the share of
positions it caps (``relu(x) > delta * max``), and the share of channel maps that are zero
everywhere; then, for the images' labelled classes, how many raw class maps rise above zero anywhere
(a map that does not is empty after the localization maps' ReLU, however well the classifier ranks
the image).
"""

import argparse
import statistics
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import torch
from torch import Tensor, nn

from mmwsss.models.layers.drs import DRS
from mmwsss.utils import add_common_args, add_sample_args, setup_cfg


# ------------------------------------------------------------------------------ the suppressors
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
            name=self.name,
            channels=self.channels,
            learnable=self.module.learnable,
            delta_mean=self.delta_sum / self.maps,
            delta_min=self.delta_min,
            delta_max=self.delta_max,
            clipped=self.clipped_sum / self.positions,
            dead=self.dead_sum / self.maps,
            count=self.images,
        )


@torch.no_grad()
def collect_suppressor_stats(
    model: nn.Module, batches: Iterable, forward: Optional[Callable[[Any], object]] = None
) -> List[SuppressorStats]:
    """Run ``model`` over batches and gather the statistics of every :class:`DRS` in it.

    Args:
        model (nn.Module): Any model holding DRS layers (put it in eval mode first).
        batches (Iterable): Normalised inputs, each of shape (B, 3, H, W); anything ``forward``
            takes when it is given.
        forward (callable, optional): How to run one batch; defaults to ``model._forward`` when the
            model has it (an MMSeg segmentor: backbone and decode_head), else ``model``.

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
        lines.append(
            f'| {s.name} | {s.channels} | {s.delta_mean:.3f} | {s.delta_min:.3f} | '
            f'{s.delta_max:.3f} | {100 * s.clipped:.1f} | {100 * s.dead:.1f} |'
        )
    return '\n'.join(lines)


# ------------------------------------------------------------------------------ the raw maps' peaks
@dataclass
class CAMPeakStats:
    """Peaks of the raw maps of the labelled classes.

    Attributes:
        pairs (int): (image, labelled class) pairs seen.
        positive (int): Pairs whose map is above zero somewhere.
        peak_min / peak_median / peak_max (float): Of the per-pair peaks.
    """

    pairs: int
    positive: int
    peak_min: float
    peak_median: float
    peak_max: float


def cam_peak_stats(batches: Iterable[Tuple[Tensor, Tensor]]) -> CAMPeakStats:
    """Peaks of the labelled classes' raw maps.

    Args:
        batches (Iterable[tuple[Tensor, Tensor]]): Raw maps (B, C, h, w) and multi-hot image-level
            labels (B, C) of the same classes.

    Returns:
        CAMPeakStats: Over every labelled pair of every batch.

    Raises:
        ValueError: If the shapes disagree or no image has a label.
    """
    peaks = []
    for cams, labels in batches:
        if cams.dim() != 4 or labels.shape != cams.shape[:2]:
            raise ValueError(
                f'maps {tuple(cams.shape)} and labels {tuple(labels.shape)} do not '
                'match: expected (B, C, h, w) and (B, C)'
            )
        per_class = cams.flatten(2).amax(dim=2)  # (B, C)
        peaks += per_class[labels.bool()].tolist()
    if not peaks:
        raise ValueError('no labelled (image, class) pair among the images')
    return CAMPeakStats(
        pairs=len(peaks),
        positive=sum(p > 0 for p in peaks),
        peak_min=min(peaks),
        peak_median=statistics.median(peaks),
        peak_max=max(peaks),
    )


def format_cam_peak_stats(stats: CAMPeakStats) -> str:
    """One line: how many labelled maps can light up, and the spread of their peaks."""
    return (
        f'raw maps of the labelled classes: {stats.positive}/{stats.pairs} above zero somewhere; '
        f'peak min {stats.peak_min:.3f}, median {stats.peak_median:.3f}, '
        f'max {stats.peak_max:.3f}'
    )


# ------------------------------------------------------------------------------ the tool
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-layer statistics of the DRS suppressors')
    add_common_args(parser, 'config of a model with DRS layers', runner=False)
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint; without one, the model as training starts'
    )
    add_sample_args(parser, num=40, split='train')
    parser.add_argument('--out', help='also write the table to this file')
    return parser.parse_args(argv)


def _labels(samples: list, split: str):
    """The multi-hot image-level labels (B, C) of a batch's data samples."""
    missing = [s.img_path for s in samples if 'gt_cls_label' not in s]
    if missing:
        raise ValueError(
            f'{missing[0]}: no image-level label in the {split} test pipeline '
            '(LoadImageLevelLabels + PackWSSSInputs)'
        )
    return torch.stack([s.gt_cls_label for s in samples])


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import logging

    from mmengine.logging import MMLogger

    from mmwsss.apis import init_dataset, init_model, preprocessed_batches

    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init_weights' per-tensor report
    try:
        cfg = setup_cfg(args, for_runner=False)
        model = init_model(cfg, args.checkpoint, init_weights=True)
        dataset = init_dataset(cfg, args.split, test_pipeline=True)
        num = min(args.num, len(dataset))

        # one pass: the suppressors' hooks see the forward that also gives the class maps, of
        # which only the per-class peaks (B, C, 1, 1) are kept
        peaks_per_batch = []

        def forward(batch):
            inputs, samples = batch
            cams = model._forward(inputs)
            peaks_per_batch.append(
                (cams.amax(dim=(2, 3), keepdim=True), _labels(samples, args.split))
            )

        with torch.no_grad():
            stats = collect_suppressor_stats(
                model, preprocessed_batches(model, dataset, num, args.batch_size), forward=forward
            )
        peaks = cam_peak_stats(peaks_per_batch)
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    source = args.checkpoint or 'the model at the start of training (init_weights)'
    table = format_suppressor_stats(stats) + '\n\n' + format_cam_peak_stats(peaks)
    print(f'{num} {args.split} images of {args.config}, {source}:\n\n{table}')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
