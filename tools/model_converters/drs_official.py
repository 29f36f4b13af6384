# Copyright (c) mmwsss contributors. All rights reserved.
"""Convert the released DRS checkpoints (github.com/qjadud1994/DRS) into mmwsss checkpoints.

Two networks were released, both saved as ``{'model': state_dict, 'optimizer': ..., 'epoch': ...,
'miou': ...}``:

- ``DRS_learnable.pth``, the stage-1 classifier (``models/vgg.py`` with learnable suppressors);
- ``Refine_DRS_learnable.pth``, the stage-2 refinement network (``models/vgg_refine.py``).

Their state dicts hold each VGG16 conv twice, as ``features.<i>.*`` and as ``layer<s>_conv<j>.*``
(two names for one module), the suppressors' ``C x C`` matrices as
``layer<s>_relu<j>.fc.0.weight`` and ``extra_relu<k>.fc.0.weight``, and the head convs as
``extra_conv1..4``. mmwsss runs the same layers in the same order under other names (classifier:
``CAMClassifier``; refinement: ``RefineSegmentor``):

- ``layer<s>_conv<j>.*`` -> ``backbone.features.<i>.*``;
- ``layer<s>_relu<j>.fc.0.weight`` -> ``backbone.features.<i+1>.fc.weight`` (classifier only);
- ``extra_conv<k>.*`` (k = 1..3) -> ``decode_head.convs.<2k-2>.*``;
- ``extra_relu<k>.fc.0.weight`` -> ``decode_head.convs.<2k-1>.fc.weight`` (classifier only);
- ``extra_conv4.*`` -> ``decode_head.conv_cls.*`` (classifier) or
  ``decode_head.conv_seg.*`` (refinement),

with ``<i>`` torchvision's conv index (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28). Tensors are
copied unchanged. A file whose keys or shapes do not fit (an unknown key, a missing conv, a wrong
shape, two names of one conv holding different tensors) is refused with the key named.

A fixed-delta classifier (``--delta`` > 0 in the official scripts) has no suppressor weights, so its
keys are those of the refinement network: give ``--kind fixed`` or ``--kind refine`` for it.

Scoring the released files on VOC with ``tools/test.py`` (MMSeg projects call this Milestone 1);
``docs/official_checkpoints.md`` has the data and the official scripts' way of scoring::

    python tools/model_converters/drs_official.py DRS_learnable.pth \\
        checkpoints/drs_learnable_official_mmwsss.pth \\
        --config configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py
    python tools/test.py configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py \\
        checkpoints/drs_learnable_official_mmwsss.pth --cfg-options custom_hooks=[]
"""

import argparse
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

_FILE = 'tools/model_converters/drs_official.py'

KINDS = ('learnable', 'fixed', 'refine')
# (official name, torchvision index inside ``features``, out channels, in channels) of VGG16's convs
VGG16_CONVS: Tuple[Tuple[str, int, int, int], ...] = (
    ('layer1_conv1', 0, 64, 3),
    ('layer1_conv2', 2, 64, 64),
    ('layer2_conv1', 5, 128, 64),
    ('layer2_conv2', 7, 128, 128),
    ('layer3_conv1', 10, 256, 128),
    ('layer3_conv2', 12, 256, 256),
    ('layer3_conv3', 14, 256, 256),
    ('layer4_conv1', 17, 512, 256),
    ('layer4_conv2', 19, 512, 512),
    ('layer4_conv3', 21, 512, 512),
    ('layer5_conv1', 24, 512, 512),
    ('layer5_conv2', 26, 512, 512),
    ('layer5_conv3', 28, 512, 512),
)
HEAD_WIDTH = 512
NUM_EXTRA_CONVS = 3


def _unwrap(checkpoint: Mapping, source: str) -> Dict[str, object]:
    """The state dict inside a checkpoint: under 'model' (official), 'state_dict', or bare."""
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            f'{_FILE}: {source} is not a checkpoint dict (got {type(checkpoint).__name__}).'
        )
    for key in ('model', 'state_dict'):
        if isinstance(checkpoint.get(key), Mapping):
            checkpoint = checkpoint[key]
            break
    state = dict(checkpoint)
    if state and all(k.startswith('module.') for k in state):  # saved from DataParallel
        state = {k[len('module.') :]: v for k, v in state.items()}
    return state


def _plan(kind: str, num_classes: int) -> List[Tuple[Tuple[str, ...], str, tuple]]:
    """Every target tensor: (accepted official names, mmwsss name, shape), in execution order."""
    if kind not in KINDS:
        raise ValueError(f'{_FILE}: kind must be one of {KINDS}, got {kind!r}.')
    learnable = kind == 'learnable'
    plan = []
    for name, idx, out_ch, in_ch in VGG16_CONVS:
        plan.append(
            (
                (f'{name}.weight', f'features.{idx}.weight'),
                f'backbone.features.{idx}.weight',
                (out_ch, in_ch, 3, 3),
            )
        )
        plan.append(
            ((f'{name}.bias', f'features.{idx}.bias'), f'backbone.features.{idx}.bias', (out_ch,))
        )
        if learnable:
            relu = name.replace('conv', 'relu')
            plan.append(
                (
                    (f'{relu}.fc.0.weight',),
                    f'backbone.features.{idx + 1}.fc.weight',
                    (out_ch, out_ch),
                )
            )
    prev = VGG16_CONVS[-1][2]
    for k in range(1, NUM_EXTRA_CONVS + 1):
        conv, relu = f'decode_head.convs.{2 * k - 2}', f'decode_head.convs.{2 * k - 1}'
        plan.append(((f'extra_conv{k}.weight',), f'{conv}.weight', (HEAD_WIDTH, prev, 3, 3)))
        plan.append(((f'extra_conv{k}.bias',), f'{conv}.bias', (HEAD_WIDTH,)))
        if learnable:
            plan.append(
                ((f'extra_relu{k}.fc.0.weight',), f'{relu}.fc.weight', (HEAD_WIDTH, HEAD_WIDTH))
            )
        prev = HEAD_WIDTH
    cls = 'decode_head.conv_seg' if kind == 'refine' else 'decode_head.conv_cls'
    last = f'extra_conv{NUM_EXTRA_CONVS + 1}'
    plan.append(((f'{last}.weight',), f'{cls}.weight', (num_classes, prev, 1, 1)))
    plan.append(((f'{last}.bias',), f'{cls}.bias', (num_classes,)))
    return plan


def detect_kind(state: Mapping) -> str:
    """'learnable' when the file has suppressor weights; otherwise the kind cannot be told."""
    if any('_relu' in k and '.fc.' in k for k in state):
        return 'learnable'
    raise ValueError(
        f'{_FILE}: the file has no suppressor weights, so it is either the refinement network '
        '(Refine_DRS_learnable.pth) or a fixed-delta classifier; their keys are the same. '
        'Say which with --kind refine or --kind fixed.'
    )


def _shape(value) -> object:
    return tuple(value.shape) if torch.is_tensor(value) else type(value).__name__


def convert_drs_official(
    checkpoint: Mapping,
    kind: str = 'auto',
    num_classes: Optional[int] = None,
    source: str = 'the checkpoint',
) -> Tuple[str, 'OrderedDict[str, torch.Tensor]']:
    """Map an official DRS state dict to mmwsss names.

    Args:
        checkpoint (Mapping): The released file's content (``{'model': state_dict, ...}``), a bare
            state dict, or either with DataParallel's ``module.`` prefix.
        kind (str): 'learnable' (classifier with learnable suppressors, the released one), 'fixed'
            (fixed-delta classifier), 'refine' (refinement network) or 'auto' (learnable when the
            file has suppressor weights; other files must be named). Default: 'auto'.
        num_classes (int, optional): Expected classifier outputs (VOC: 20); None reads it from
            ``extra_conv4``. Default: None.
        source (str): Name of the input used in error messages.

    Returns:
        tuple[str, OrderedDict[str, Tensor]]: The kind and the tensors under mmwsss names
        (``backbone.*``, ``decode_head.*``), unchanged.

    Raises:
        ValueError: If the keys or shapes do not fit the chosen network.
    """
    state = _unwrap(checkpoint, source)
    if kind == 'auto':
        try:
            kind = detect_kind(state)
        except ValueError as err:
            raise ValueError(f'{source}: {err}') from None
    if kind not in KINDS:
        raise ValueError(f'{_FILE}: --kind must be auto or one of {KINDS}, got {kind!r}.')
    last = f'extra_conv{NUM_EXTRA_CONVS + 1}.weight'
    if num_classes is None:
        if not torch.is_tensor(state.get(last)) or state[last].dim() != 4:
            raise ValueError(
                f'{_FILE}: {source} is not an official DRS {kind} network: '
                f'{last} is missing or not a 4-d tensor.'
            )
        num_classes = int(state[last].shape[0])
    plan = _plan(kind, num_classes)

    converted = OrderedDict()
    used = set()
    for names, target, shape in plan:
        found = [n for n in names if n in state]
        if not found:
            raise ValueError(
                f'{_FILE}: {source} is not an official DRS {kind} network: {names[0]} is missing '
                f'(found keys like {sorted(state)[:3]}).'
            )
        tensor = state[found[0]]
        for name in found:
            value = state[name]
            if not torch.is_tensor(value) or tuple(value.shape) != shape:
                raise ValueError(
                    f'{_FILE}: {source}: {name} has shape {_shape(value)}, expected '
                    f'{shape} for the official DRS {kind} network.'
                )
            if value is not tensor and not torch.equal(value, tensor):
                raise ValueError(
                    f'{_FILE}: {source}: {found[0]} and {name} name the same conv in '
                    'the official network but hold different tensors.'
                )
        used.update(found)
        converted[target] = tensor.detach().clone()
    unknown = sorted(set(state) - used)
    if unknown:
        hint = ''
        if kind != 'learnable' and any('.fc.' in k for k in unknown):
            hint = ' (it has suppressor weights: use --kind learnable)'
        raise ValueError(
            f'{_FILE}: {source}: {len(unknown)} keys do not belong to the official '
            f'DRS {kind} network{hint}, e.g. {unknown[:3]}.'
        )
    return kind, converted


def check_against_config(state_dict: Mapping, config: str) -> None:
    """Load the converted tensors into the model a config builds, strictly.

    Raises:
        ValueError: If a key is missing, unexpected or has another shape in that model.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmwsss  # noqa: F401  (registers the modules)
    from mmwsss.registry import MODELS

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        raise ValueError(
            f'{_FILE}: the converted weights do not fit the model of {config}: {str(err).strip()}'
        ) from None


def convert_file(
    src: str,
    dst: Optional[str] = None,
    kind: str = 'auto',
    num_classes: Optional[int] = None,
    config: Optional[str] = None,
) -> dict:
    """Convert a released file and optionally save it.

    Args:
        src (str): The official ``.pth``.
        dst (str, optional): Where to write ``{'state_dict': ..., 'meta': ...}``.
        kind (str): See :func:`convert_drs_official`. Default: 'auto'.
        num_classes (int, optional): Expected classes; None reads them from the file.
        config (str, optional): A config whose model must take the result strictly.

    Returns:
        dict: ``{'state_dict': OrderedDict, 'meta': dict}`` as written.
    """
    from mmwsss.utils.checkpoint import load_local_checkpoint

    if not osp.isfile(src):
        raise ValueError(f'{_FILE}: {src} does not exist.')
    try:
        checkpoint = load_local_checkpoint(src, map_location='cpu')
    except RuntimeError as err:
        raise ValueError(f'{_FILE}: cannot read {src}: {err}') from None
    except Exception as err:  # not a torch file at all
        raise ValueError(
            f'{_FILE}: {src} is not a torch checkpoint ({type(err).__name__}: '
            f'{str(err).splitlines()[0] if str(err) else ""}).'
        ) from None
    kind, state_dict = convert_drs_official(checkpoint, kind, num_classes, source=src)
    if config is not None:
        check_against_config(state_dict, config)
    meta = dict(
        converted_from=osp.basename(src),
        converter=_FILE,
        kind=kind,
        num_classes=int(state_dict[next(reversed(state_dict))].shape[0]),
    )
    out = dict(state_dict=state_dict, meta=meta)
    if dst is not None:
        os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
        torch.save(out, dst)
    return out


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the released DRS checkpoints (classifier with learnable DRS, '
        'refinement network) into mmwsss checkpoints.',
        epilog='Then score it like any mmwsss checkpoint, e.g. python tools/test.py '
        'configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py OUT '
        '--cfg-options custom_hooks=[] (docs/official_checkpoints.md).',
    )
    parser.add_argument('src', help='official checkpoint, e.g. DRS_learnable.pth')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--kind',
        choices=('auto',) + KINDS,
        default='auto',
        help="network in the file: 'learnable' classifier (found automatically), 'refine' "
        "(refinement network) or 'fixed' (fixed-delta classifier); the last two have the same "
        'keys, so name them',
    )
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='expected classes (default: read from extra_conv4)',
    )
    parser.add_argument(
        '--config',
        default=None,
        help='also check that the model of this config takes the result strictly',
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        out = convert_file(args.src, args.dst, args.kind, args.num_classes, args.config)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    meta = out['meta']
    print(
        f'{args.src}: official DRS {meta["kind"]} network, {meta["num_classes"]} classes; '
        f'wrote {len(out["state_dict"])} tensors to {args.dst}'
        + (f' (loads strictly into {args.config})' if args.config else '')
    )


if __name__ == '__main__':
    main()
