# Copyright (c) mmwsss contributors. All rights reserved.
"""Convert torchvision's ImageNet VGG16 weights for mmwsss's DRSVGG.

torchvision names the 13 convs ``features.{0,2,5,7,10,12,14,17,19,21,24,26,
28}``; DRSVGG uses the same indices, so the conversion keeps those 26
tensors, drops the fully connected classifier and adds a prefix. The output
is ``{'state_dict': {'backbone.features.0.weight': ..., ...}}``, which loads

- into a DRSVGG backbone with
  ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``,
- into a whole segmentor with ``load_from = OUT``.

Usage::

    python tools/model_converters/vgg16_torchvision.py \
        vgg16-397923af.pth pretrain/vgg16_torchvision_mmwsss.pth
"""

import argparse
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch

_FILE = 'tools/model_converters/vgg16_torchvision.py'

VGG16_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
_VGG16_WIDTHS = (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512)


def expected_shapes() -> Dict[str, tuple]:
    """Shapes of torchvision VGG16's conv tensors, keyed by their names."""
    shapes = {}
    prev = 3
    for idx, width in zip(VGG16_CONV_INDICES, _VGG16_WIDTHS):
        shapes[f'features.{idx}.weight'] = (width, prev, 3, 3)
        shapes[f'features.{idx}.bias'] = (width,)
        prev = width
    return shapes


def _unwrap(checkpoint: Mapping) -> Mapping:
    """Return the tensor mapping inside a checkpoint (plain or wrapped)."""
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
            break
    # weights saved from DataParallel / DDP
    if checkpoint and all(k.startswith('module.') for k in checkpoint):
        checkpoint = {k[len('module.') :]: v for k, v in checkpoint.items()}
    return checkpoint


def convert_vgg16(
    checkpoint: Mapping, prefix: str = 'backbone.', source: str = 'the checkpoint'
) -> 'OrderedDict[str, torch.Tensor]':
    """Map a torchvision VGG16 state dict to DRSVGG names.

    Args:
        checkpoint (Mapping): torchvision VGG16 state dict, possibly wrapped
            in ``{'state_dict': ...}`` or ``{'model': ...}``.
        prefix (str): Prepended to every key ('' for a bare backbone).
            Default: 'backbone.'.
        source (str): Name of the input used in error messages.

    Returns:
        OrderedDict[str, Tensor]: The 26 conv tensors under their new names.

    Raises:
        ValueError: If ``checkpoint`` is not a torchvision VGG16 state dict
            (missing conv tensors, wrong shapes, or batch-norm layers).
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            f'{_FILE}: {source} is not a state dict (got {type(checkpoint).__name__}).'
        )
    state = _unwrap(checkpoint)
    if any(k.startswith('features.') and k.endswith('running_mean') for k in state):
        raise ValueError(
            f'{_FILE}: {source} has batch-norm layers (VGG16-BN?); only '
            "torchvision's plain VGG16 (vgg16-397923af.pth) is supported."
        )
    shapes = expected_shapes()
    missing = [k for k in shapes if k not in state]
    if missing:
        raise ValueError(
            f'{_FILE}: {source} is not a torchvision VGG16 state dict: '
            f'{len(missing)} of its {len(shapes)} conv tensors are missing '
            f'(first: {missing[0]}); found keys like '
            f'{list(state)[:3]}.'
        )
    converted = OrderedDict()
    for key, shape in shapes.items():
        tensor = state[key]
        if not torch.is_tensor(tensor) or tuple(tensor.shape) != shape:
            got = tuple(tensor.shape) if torch.is_tensor(tensor) else type(tensor).__name__
            raise ValueError(
                f'{_FILE}: {source} is not a torchvision VGG16 state dict: '
                f'{key} has shape {got}, expected {shape}.'
            )
        converted[prefix + key] = tensor.detach().clone()
    return converted


def convert_file(src: str, dst: Optional[str] = None, prefix: str = 'backbone.') -> dict:
    """Convert a checkpoint file and optionally save it.

    Args:
        src (str): torchvision VGG16 ``.pth``.
        dst (str, optional): Where to write ``{'state_dict': ...}``.
        prefix (str): Key prefix. Default: 'backbone.'.

    Returns:
        dict: ``{'state_dict': OrderedDict}`` as written.
    """
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    out = dict(state_dict=convert_vgg16(checkpoint, prefix, source=src))
    if dst is not None:
        torch.save(out, dst)
    return out


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert torchvision VGG16 weights for mmwsss DRSVGG.'
    )
    parser.add_argument('src', help='torchvision VGG16 checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help="key prefix (default 'backbone.'; '' for a bare backbone)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        out = convert_file(args.src, args.dst, args.prefix)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    print(f'wrote {len(out["state_dict"])} tensors to {args.dst}')


if __name__ == '__main__':
    main()
