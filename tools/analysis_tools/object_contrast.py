# Copyright (c) mmwsss contributors. All rights reserved.
"""Where a classifier's features stop telling the objects from the background, layer by layer.

    python tools/analysis_tools/object_contrast.py CONFIG [CHECKPOINT] [--num 50] [--split val] \
        [--batch-size 8] [--suppress all | I,J,...] [--delta 0.55] [--seed 0] [--out FILE] \
        [--cfg-options k=v ...]

For every activation layer (ReLU or DRS suppressor, in module order) it prints the *object
contrast*: the channel-mean activation on ground-truth object pixels over that on background
pixels (the masks resized to the layer by area; ignored pixels count for neither). 1 means the
layer's features fire alike on objects and background; a CAM can only be local where the last
layers' contrast is well above 1. Next to it, the contrast the layer would have if only its own
``relu(x)`` were capped at ``--delta`` times each map's maximum (what one DRS suppressor there would
leave of its input's contrast, the layers before unchanged). For a suppressor it also prints the
share of the activation's mass it keeps (``sum(out) / sum(relu(x))``), and at the end the
classification mAP of the model's pooled scores over the same images.

``--suppress`` replaces plain ReLU layers by fixed DRS suppressors (``--delta``) at inference,
weights unchanged: ``all``, or 0-based positions among the activation layers as printed. It asks
what the suppressors would do to a network trained without them (the ImageNet stand-in, a CAM
classifier). Without a checkpoint the model is taken as training starts (``init_weights``).
"""

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmwsss.evaluation import MultiLabelAPMetric
from mmwsss.models.layers.drs import DRS
from mmwsss.utils import add_common_args, add_sample_args, setup_cfg

_FILE = 'tools/analysis_tools/object_contrast.py'


# ------------------------------------------------------------------------------ the layers
def activation_layers(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The model's activation layers (``nn.ReLU`` and :class:`DRS`), in module order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.ReLU, DRS))]


def insert_suppressors(
    model: nn.Module, positions: Union[str, Sequence[int]], delta: float = 0.55
) -> List[str]:
    """Replace plain ReLU layers by fixed DRS suppressors, in place.

    Args:
        model (nn.Module): The model.
        positions (str | Sequence[int]): ``'all'`` (every ReLU) or 0-based positions among
            :func:`activation_layers`.
        delta (float): The suppressors' ratio. Defaults to 0.55.

    Returns:
        list[str]: The names of the replaced layers.

    Raises:
        ValueError: A position is out of range or names a layer that is not a plain ReLU.
    """
    layers = activation_layers(model)
    if positions == 'all':
        chosen = [i for i, (_, m) in enumerate(layers) if type(m) is nn.ReLU]
    else:
        chosen = list(positions)
    names = []
    for i in chosen:
        if not 0 <= i < len(layers):
            raise ValueError(
                f'{_FILE}: activation position {i} is out of range: the model has {len(layers)}'
            )
        name, module = layers[i]
        if type(module) is not nn.ReLU:
            raise ValueError(f'{_FILE}: activation {i} ({name}) is a {type(module).__name__}')
        parent, _, leaf = name.rpartition('.')
        setattr(model.get_submodule(parent), leaf, DRS(delta=delta, learnable=False))
        names.append(name)
    return names


# ------------------------------------------------------------------------------ the contrast
@dataclass
class LayerContrast:
    """The object contrast of one activation layer.

    Attributes:
        name (str): The module's name in the model.
        kind (str): ``'ReLU'``, ``'DRS 0.55'`` (fixed) or ``'DRS learnable'``.
        channels (int): Channels of its output.
        contrast (float): Mean channel-mean activation on object pixels over that on background.
        capped (float): The same of ``min(relu(x), delta * max)``, this layer's input capped alone.
        kept (float): ``sum(out) / sum(relu(x))``; 1 for a ReLU.
    """

    name: str
    kind: str
    channels: int
    contrast: float
    capped: float
    kept: float


class _Accumulator:
    """Running sums of one layer's contrast, fed by a forward hook.

    ``masks`` (object and background, (B, 1, H, W) each) is set before every batch, and ``calls``
    reset: a module run twice in one forward (a shared ReLU, as in MMSeg's ResNet blocks) would
    mix two layers in one row, so it is refused.
    """

    def __init__(self, name: str, module: nn.Module, delta: float) -> None:
        self.name, self.module, self.delta = name, module, delta
        self.masks: Optional[Tuple[Tensor, Tensor]] = None
        self.calls = 0
        self.on = self.off = self.on_area = self.off_area = 0.0
        self.capped_on = self.capped_off = 0.0
        self.mass_in = self.mass_out = 0.0
        self.channels = 0

    def __call__(self, module: nn.Module, inputs: tuple, output: Tensor) -> None:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError(
                f'{_FILE}: activation {self.name} runs more than once per forward (a shared '
                'module); its rows would mix layers'
            )
        obj, bg = self.masks  # (B, 1, H, W) each, 1 where the pixel counts
        out = output.float()
        size = out.shape[-2:]
        obj, bg = (
            F.interpolate(obj, size=size, mode='area'),
            F.interpolate(bg, size=size, mode='area'),
        )
        level = out.mean(dim=1, keepdim=True)  # (B, 1, h, w)
        self.on += float((level * obj).sum())
        self.off += float((level * bg).sum())
        self.on_area += float(obj.sum())
        self.off_area += float(bg.sum())
        r = torch.relu(inputs[0].float())
        capped = torch.minimum(r, self.delta * r.amax(dim=(2, 3), keepdim=True))
        capped_level = capped.mean(dim=1, keepdim=True)
        self.capped_on += float((capped_level * obj).sum())
        self.capped_off += float((capped_level * bg).sum())
        self.mass_in += float(r.sum())
        self.mass_out += float(out.sum())
        self.channels = out.shape[1]

    def result(self) -> LayerContrast:
        if not self.on_area or not self.off_area:
            raise RuntimeError(
                f'layer {self.name} saw no object or no background pixel: is it on the forward '
                'path, and do the images have both?'
            )

        def ratio(on: float, off: float) -> float:
            on, off = on / self.on_area, off / self.off_area
            return on / off if off > 0 else float('inf')

        if isinstance(self.module, DRS):
            kind = 'DRS learnable' if self.module.learnable else f'DRS {self.module.delta:g}'
        else:
            kind = 'ReLU'
        return LayerContrast(
            name=self.name,
            kind=kind,
            channels=self.channels,
            contrast=ratio(self.on, self.off),
            capped=ratio(self.capped_on, self.capped_off),
            kept=self.mass_out / self.mass_in if self.mass_in > 0 else 1.0,
        )


def object_masks(labels: Tensor, ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Object and background masks of label maps.

    Args:
        labels (Tensor): Label maps (B, H, W); 0 is the background.
        ignore_index (int): Pixels in neither mask. Defaults to 255.

    Returns:
        tuple[Tensor, Tensor]: Float masks (B, 1, H, W): objects, background.
    """
    labels = labels.long()
    obj = (labels != 0) & (labels != ignore_index)
    return obj[:, None].float(), (labels == 0)[:, None].float()


@torch.no_grad()
def collect_object_contrast(
    model: nn.Module,
    batches: Iterable[Tuple[Any, Tensor]],
    forward: Optional[Callable[[Any], object]] = None,
    delta: float = 0.55,
) -> List[LayerContrast]:
    """Run ``model`` over batches and measure every activation layer's object contrast.

    Args:
        model (nn.Module): Any model with ReLU or DRS layers (in eval mode).
        batches (Iterable[tuple]): ``(inputs, labels)``: what ``forward`` takes and label maps
            (B, H, W) of the inputs' size (0 background, 255 ignored).
        forward (callable, optional): How to run one batch's inputs; defaults to ``model``.
        delta (float): The cap of the ``capped`` column. Defaults to 0.55.

    Returns:
        list[LayerContrast]: One entry per activation layer, in module order.

    Raises:
        ValueError: If the model has no activation layer.
    """
    layers = activation_layers(model)
    if not layers:
        raise ValueError(f'{type(model).__name__} has no ReLU or DRS layer')
    accumulators = [_Accumulator(n, m, delta) for n, m in layers]
    handles = [m.register_forward_hook(acc) for (_, m), acc in zip(layers, accumulators)]
    forward = forward or model
    try:
        for inputs, labels in batches:
            masks = object_masks(labels)
            for acc in accumulators:
                acc.masks, acc.calls = masks, 0
            forward(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return [acc.result() for acc in accumulators]


def format_object_contrast(stats: List[LayerContrast], delta: float = 0.55) -> str:
    """A markdown table of :func:`collect_object_contrast`'s result.

    Args:
        stats (list[LayerContrast]): One entry per activation layer.
        delta (float): The cap the ``capped`` column was measured at (for its header).

    Returns:
        str: The table, one row per layer, numbered as ``--suppress`` takes them.
    """
    lines = [
        '| # | layer | kind | channels | object contrast '
        f'| capped alone at {delta:g} | mass kept |',
        '| ---: | --- | --- | ---: | ---: | ---: | ---: |',
    ]
    for i, s in enumerate(stats):
        lines.append(
            f'| {i} | {s.name} | {s.kind} | {s.channels} | {s.contrast:.2f} | {s.capped:.2f} '
            f'| {s.kept:.3f} |'
        )
    return '\n'.join(lines)


# ------------------------------------------------------------------------------ the tool
def _positions(value: str) -> Union[str, List[int]]:
    if value == 'all':
        return value
    try:
        return [int(v) for v in value.split(',') if v.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"expected 'all' or positions like 0,1,2, got {value!r}"
        ) from e


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-layer object contrast of a classifier')
    add_common_args(parser, 'config of a CAM classifier', runner=False)
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint; without one, the model as training starts'
    )
    add_sample_args(parser, num=50, split='val')
    parser.add_argument(
        '--suppress',
        type=_positions,
        help="ReLU layers to replace by fixed DRS at inference: 'all' or positions 0,1,...",
    )
    parser.add_argument('--delta', type=float, default=0.55, help='their ratio (default 0.55)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the new layers without a checkpoint'
    )
    parser.add_argument('--out', help='also write the table to this file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import logging

    from mmengine.logging import MMLogger

    from mmwsss.apis import init_dataset, init_model, preprocessed_batches

    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init_weights' per-tensor report
    try:
        cfg = setup_cfg(args, for_runner=False)
        torch.manual_seed(args.seed)  # the new layers, without a checkpoint
        model = init_model(cfg, args.checkpoint, init_weights=True)
        if not (
            hasattr(model, '_forward') and hasattr(getattr(model, 'decode_head', None), 'pool')
        ):
            raise ValueError(
                f'{args.config}: the model ({type(model).__name__}) is not a CAM classifier '
                '(a decode head with a pooling of its class maps)'
            )
        replaced = []
        if args.suppress is not None:
            replaced = insert_suppressors(model, args.suppress, args.delta)
        dataset = init_dataset(cfg, args.split, test_pipeline=True)
        num = min(args.num, len(dataset))
        scores, labels = [], []

        def batches():
            for inputs, samples in preprocessed_batches(model, dataset, num, args.batch_size):
                missing = [s.img_path for s in samples if 'gt_sem_seg' not in s]
                if missing:
                    raise ValueError(f'{missing[0]}: no ground-truth mask in the test pipeline')
                labels.append(torch.stack([s.gt_cls_label for s in samples]).float())
                yield inputs, torch.stack([s.gt_sem_seg.data[0] for s in samples])

        def forward(inputs):
            cams = model._forward(inputs)
            scores.append(torch.sigmoid(model.decode_head.pool(cams)).float())

        try:
            stats = collect_object_contrast(model, batches(), forward=forward, delta=args.delta)
        except AssertionError as e:  # MMSeg's data preprocessor on images of different sizes
            raise ValueError(f'{args.config}, {args.split} set: {e} (try --batch-size 1)') from e
        pairs = zip(torch.cat(scores).numpy(), torch.cat(labels).numpy())
        map_ = MultiLabelAPMetric().compute_metrics(list(pairs))['mAP']
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    source = args.checkpoint or 'the model at the start of training (init_weights)'
    what = f'{num} {args.split} images of {args.config}, {source}'
    if replaced:
        what += f'; fixed DRS {args.delta:g} put in place of {len(replaced)} ReLU layer(s)'
    table = (
        format_object_contrast(stats, args.delta)
        + f'\n\nclassification mAP of the pooled scores: {map_:.1f}'
    )
    print(f'{what}:\n\n{table}')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(f'{what}\n\n{table}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
