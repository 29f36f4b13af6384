# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/model_converters/drs_official.py on state dicts laid out as the released DRS files.

The test writes the official key names and shapes (``models/vgg.py``: every VGG16 conv both as
``features.<i>`` and ``layer<s>_conv<j>``, the learnable suppressors as ``layer<s>_relu<j>.fc.0``,
the head as ``extra_conv1..4`` / ``extra_relu1..3.fc.0``; ``models/vgg_refine.py``: the same convs,
no suppressors) with random tensors, converts them and checks that every tensor arrives unchanged,
and that the converted mmwsss model computes what a forward written from the official layer order
computes with the official tensors: each key lands in the layer that executes in the same place.
"""

import importlib.util
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'drs_official.py')
CLS_CONFIG = osp.join(ROOT, 'configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py')
FIXED_CONFIG = osp.join(ROOT, 'configs/drs/drs-fixed0.55_vgg16_1xb10-15e_voc12aug-320x320.py')
REFINE_CONFIG = osp.join(ROOT, 'configs/drs/drs-refine_vgg16_1xb10-30e_voc12aug-320x320.py')

# the official execution order: (name, out channels, dilation), 'M' a 2x2 pool, 'N' the 3x3 s1 pool
OFFICIAL_ORDER = [
    ('layer1_conv1', 64, 1),
    ('layer1_conv2', 64, 1),
    'M',
    ('layer2_conv1', 128, 1),
    ('layer2_conv2', 128, 1),
    'M',
    ('layer3_conv1', 256, 1),
    ('layer3_conv2', 256, 1),
    ('layer3_conv3', 256, 1),
    'M',
    ('layer4_conv1', 512, 1),
    ('layer4_conv2', 512, 1),
    ('layer4_conv3', 512, 1),
    'N',
    ('layer5_conv1', 512, 2),
    ('layer5_conv2', 512, 2),
    ('layer5_conv3', 512, 2),
]
FEATURE_INDEX = dict(
    layer1_conv1=0,
    layer1_conv2=2,
    layer2_conv1=5,
    layer2_conv2=7,
    layer3_conv1=10,
    layer3_conv2=12,
    layer3_conv3=14,
    layer4_conv1=17,
    layer4_conv2=19,
    layer4_conv3=21,
    layer5_conv1=24,
    layer5_conv2=26,
    layer5_conv3=28,
)


def _tool():
    spec = importlib.util.spec_from_file_location('drs_official_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_state_dict(learnable: bool, num_classes: int = 20, seed: int = 0) -> dict:
    """Random tensors under the official names (one tensor object per conv, two names for it)."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    prev = 3
    for item in OFFICIAL_ORDER:
        if isinstance(item, str):
            continue
        name, width, _ = item
        weight = torch.randn(width, prev, 3, 3, generator=gen) * (2.0 / (9 * prev)) ** 0.5
        bias = torch.randn(width, generator=gen) * 0.01
        for key in (name, f'features.{FEATURE_INDEX[name]}'):
            state[f'{key}.weight'] = weight
            state[f'{key}.bias'] = bias
        if learnable:
            state[f'{name.replace("conv", "relu")}.fc.0.weight'] = (
                torch.randn(width, width, generator=gen) * 0.05
            )
        prev = width
    for k in (1, 2, 3):
        state[f'extra_conv{k}.weight'] = torch.randn(512, 512, 3, 3, generator=gen) * 0.02
        state[f'extra_conv{k}.bias'] = torch.randn(512, generator=gen) * 0.01
        if learnable:
            state[f'extra_relu{k}.fc.0.weight'] = torch.randn(512, 512, generator=gen) * 0.05
    state['extra_conv4.weight'] = torch.randn(num_classes, 512, 1, 1, generator=gen) * 0.05
    state['extra_conv4.bias'] = torch.randn(num_classes, generator=gen) * 0.01
    return state


def _suppress(x, fc_weight=None, delta=None):
    """The suppressor as DESIGN.md section 4 states it (pre-activation in, activation out)."""
    r = F.relu(x)
    peak = r.amax(dim=(2, 3), keepdim=True)
    if fc_weight is not None:
        ratio = torch.sigmoid(r.mean(dim=(2, 3)) @ fc_weight.t())[:, :, None, None]
    else:
        ratio = delta
    return torch.minimum(r, peak * ratio)


def official_forward(state: dict, x, activation):
    """Class maps (before pooling / upsampling) in the official layer order.

    ``activation(x, name)`` is applied after every conv but the last; ``name`` is the official
    name of the conv it follows.
    """
    for item in OFFICIAL_ORDER:
        if item == 'M':
            x = F.max_pool2d(x, 2, 2)
        elif item == 'N':
            x = F.max_pool2d(x, 3, 1, 1)
        else:
            name, _, dilation = item
            x = F.conv2d(
                x,
                state[f'{name}.weight'],
                state[f'{name}.bias'],
                padding=dilation,
                dilation=dilation,
            )
            x = activation(x, name)
    for k in (1, 2, 3):
        x = F.conv2d(x, state[f'extra_conv{k}.weight'], state[f'extra_conv{k}.bias'], padding=1)
        x = activation(x, f'extra_conv{k}')
    return F.conv2d(x, state['extra_conv4.weight'], state['extra_conv4.bias'])


def _model(config):
    cfg = Config.fromfile(config)
    init_default_scope('mmseg')
    return MODELS.build(cfg.model).eval()


def test_learnable_classifier_lands_layer_by_layer():
    tool = _tool()
    state = official_state_dict(learnable=True)
    kind, converted = tool.convert_drs_official({'model': state, 'epoch': 7})
    assert kind == 'learnable'
    # every official tensor arrives unchanged (the duplicated conv names as one tensor)
    assert len(converted) == 13 * 3 + 3 * 3 + 2
    unique = {id(v) for v in state.values()}
    assert len(converted) == len(unique)
    assert converted['backbone.features.0.weight'].equal(state['layer1_conv1.weight'])
    assert converted['backbone.features.29.fc.weight'].equal(state['layer5_relu3.fc.0.weight'])
    assert converted['decode_head.convs.5.fc.weight'].equal(state['extra_relu3.fc.0.weight'])
    assert converted['decode_head.conv_cls.bias'].equal(state['extra_conv4.bias'])
    model = _model(CLS_CONFIG)
    model.load_state_dict(converted, strict=True)
    for key, value in model.state_dict().items():
        assert value.equal(converted[key]), key

    def learnable(x, name):
        fc = name.replace('conv', 'relu') + '.fc.0.weight'
        return _suppress(x, fc_weight=state[fc])

    x = torch.randn(2, 3, 32, 40)
    with torch.no_grad():
        ours = model(x, mode='tensor')
        ref = official_forward(state, x, learnable)
    assert ours.shape == (2, 20, 4, 5)
    assert torch.allclose(ours, ref, rtol=1e-4, atol=1e-5)
    # the suppressors matter: swapping two of them changes the output
    swapped = dict(converted)
    swapped['backbone.features.1.fc.weight'], swapped['backbone.features.3.fc.weight'] = (
        converted['backbone.features.3.fc.weight'],
        converted['backbone.features.1.fc.weight'],
    )
    model.load_state_dict(swapped)
    with torch.no_grad():
        assert not torch.allclose(model(x, mode='tensor'), ref, rtol=1e-4, atol=1e-5)


def test_fixed_classifier_and_refinement_network():
    tool = _tool()
    state = official_state_dict(learnable=False, seed=1)
    with pytest.raises(ValueError, match='--kind refine or --kind fixed'):
        tool.convert_drs_official(state)
    x = torch.randn(1, 3, 24, 24)

    _, fixed = tool.convert_drs_official({'model': state}, kind='fixed')
    model = _model(FIXED_CONFIG)
    model.load_state_dict(fixed, strict=True)
    with torch.no_grad():
        ref = official_forward(state, x, lambda t, _: _suppress(t, delta=0.55))
        assert torch.allclose(model(x, mode='tensor'), ref, rtol=1e-4, atol=1e-5)

    _, refine = tool.convert_drs_official({'model': state}, kind='refine')
    assert 'decode_head.conv_seg.weight' in refine and 'decode_head.conv_cls.weight' not in refine
    model = _model(REFINE_CONFIG)
    model.load_state_dict(refine, strict=True)
    with torch.no_grad():
        ref = official_forward(state, x, lambda t, _: F.relu(t))
        assert torch.allclose(model(x, mode='tensor'), ref, rtol=1e-4, atol=1e-5)


def test_refuses_what_does_not_fit():
    tool = _tool()
    good = official_state_dict(learnable=True, seed=2)

    missing = {k: v for k, v in good.items() if not k.startswith(('layer3_conv2', 'features.12'))}
    with pytest.raises(ValueError, match='layer3_conv2.weight is missing'):
        tool.convert_drs_official(missing)
    shape = dict(good, **{'extra_conv2.weight': torch.zeros(512, 512, 1, 1)})
    with pytest.raises(ValueError, match=r'extra_conv2.weight has shape \(512, 512, 1, 1\)'):
        tool.convert_drs_official(shape)
    fc = dict(good, **{'layer2_relu1.fc.0.weight': torch.zeros(64, 64)})
    with pytest.raises(ValueError, match='layer2_relu1.fc.0.weight has shape'):
        tool.convert_drs_official(fc)
    differ = dict(good, **{'features.5.bias': torch.zeros(128)})
    with pytest.raises(ValueError, match='hold different tensors'):
        tool.convert_drs_official(differ)
    extra = dict(good, **{'classifier.weight': torch.zeros(3)})
    with pytest.raises(ValueError, match='keys do not belong.*classifier.weight'):
        tool.convert_drs_official(extra)
    with pytest.raises(ValueError, match='use --kind learnable'):
        tool.convert_drs_official(good, kind='refine')
    with pytest.raises(ValueError, match=r'extra_conv4.weight has shape \(20, 512, 1, 1\)'):
        tool.convert_drs_official(good, num_classes=21)
    torchvision_vgg = {'features.0.weight': torch.zeros(64, 3, 3, 3)}
    with pytest.raises(ValueError, match='not an official DRS'):
        tool.convert_drs_official(torchvision_vgg, kind='refine')
    # a checkpoint with only one name per conv is accepted (DataParallel prefix too)
    single = {f'module.{k}': v for k, v in good.items() if not k.startswith('features.')}
    kind, converted = tool.convert_drs_official(single)
    assert kind == 'learnable' and converted['backbone.features.28.bias'].equal(
        good['layer5_conv3.bias']
    )


def test_command_line(tmp_path):
    state = official_state_dict(learnable=False, num_classes=20, seed=3)
    src = tmp_path / 'Refine_DRS_learnable.pth'
    # the released files also hold the optimizer state, the epoch and a numpy mIoU
    import numpy as np

    torch.save(
        dict(
            model=state,
            optimizer={'state': {}, 'param_groups': []},
            epoch=12,
            iter=100,
            miou=np.float64(0.66),
        ),
        src,
    )
    dst = tmp_path / 'out' / 'refine.pth'
    cmd = [sys.executable, TOOL, str(src), str(dst), '--kind', 'refine', '--config', REFINE_CONFIG]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 'refine network, 20 classes' in proc.stdout and 'loads strictly' in proc.stdout
    out = torch.load(dst, weights_only=True)
    assert out['meta']['kind'] == 'refine'
    assert out['state_dict']['decode_head.convs.4.weight'].equal(state['extra_conv3.weight'])
    # the wrong config is refused by name
    cmd[-1] = CLS_CONFIG
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and 'do not fit the model of' in proc.stderr
    proc = subprocess.run(
        [sys.executable, TOOL, str(tmp_path / 'nope.pth'), str(dst)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode != 0 and 'nope.pth does not exist' in proc.stderr
    proc = subprocess.run(
        [sys.executable, TOOL, '--help'], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and '--kind' in proc.stdout
