# Copyright (c) mmwsss contributors. All rights reserved.
"""Every shipped config parses, names registered modules and builds its model (full size, not
trained)."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.datasets.synthetic import SYNTHETIC_BENCHMARK
from mmwsss.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE_CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and osp.basename(osp.dirname(p)) != 'pipelines'
)


def _load(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('path', STAGE_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds(path):
    cfg = _load(path)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    model = MODELS.build(cfg.model)
    assert _num_params(model) > 0


@pytest.mark.parametrize(
    'name, total, in_drs',
    [
        ('drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236, 2_596_864),
        ('drs-fixed0.55_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236 - 2_596_864, 0),
        ('cam_vgg16_1xb10-15e_voc12aug-320x320.py', 24_401_236 - 2_596_864, 0),
    ],
)
def test_full_size_voc_parameter_counts(name, total, in_drs):
    model = MODELS.build(_load(osp.join(ROOT, 'configs', 'drs', name)).model)
    assert _num_params(model) == total
    drs = sum(p.numel() for n, p in model.named_parameters() if n.endswith('.fc.weight'))
    assert drs == in_drs


def test_full_size_output_stride_and_maps():
    cfg = _load(
        osp.join(ROOT, 'configs', 'drs', 'drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py')
    )
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        cams = model(torch.rand(1, 3, 64, 64), mode='tensor')
    assert cams.shape == (1, 20, 8, 8)


def test_synthetic_configs_differ_only_in_the_activation():
    names = {
        'cam': 'ReLU',
        'drs-fixed0.55': 'DRS',
        'drs-learnable': 'DRS',
    }
    for prefix, act in names.items():
        cfg = _load(
            osp.join(ROOT, 'configs', 'drs', f'{prefix}_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
        )
        assert cfg.model.backbone.act_cfg.type == act
        assert cfg.model.decode_head.act_cfg.type == act
        assert cfg.model.backbone.widen_factor == 0.25
        if act == 'ReLU':
            assert set(cfg.model.backbone.act_cfg) == {'type'}


def test_stage3_crf_config_wraps_the_plain_segmentor():
    """The released DeepLabV3+'s test with CRF: the stage-3 model in DenseCRFSegmentor, the
    official CRF settings, and a checkpoint of the plain segmentor loads as is."""
    from mmwsss.models.segmentors import DenseCRFSegmentor

    folder = osp.join(ROOT, 'configs', 'drs')
    plain_cfg = _load(osp.join(folder, 'deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py'))
    cfg = _load(osp.join(folder, 'deeplabv3plus-crf_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py'))
    assert cfg.model.segmentor == plain_cfg.model
    torch.manual_seed(0)
    plain = MODELS.build(plain_cfg.model)
    model = MODELS.build(cfg.model)
    assert isinstance(model, DenseCRFSegmentor) and model.score_type == 'logits'
    assert model.data_preprocessor is model.segmentor.data_preprocessor
    crf = model.crf
    assert (crf.iterations, crf.pos_w, crf.pos_xy_std, crf.bi_w, crf.bi_xy_std, crf.bi_rgb_std) == (
        10,
        3,
        1,
        4,
        67,
        3,
    )
    model.load_state_dict(plain.state_dict())  # strict: the keys get the 'segmentor.' prefix
    assert torch.equal(
        model.segmentor.decode_head.conv_seg.weight, plain.decode_head.conv_seg.weight
    )


def test_saliency_eval_config_scores_maps_as_the_official_script():
    cfg = _load(
        osp.join(
            ROOT,
            'configs',
            'drs',
            'drs-learnable-saliency-eval_vgg16_1xb10-15e_voc12aug-320x320.py',
        )
    )
    model = MODELS.build(cfg.model)
    assert tuple(model.test_cfg.scales) == (256, 320, 384)
    assert model.test_cfg.use_saliency and model.test_cfg.saliency_threshold == 50
    types = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    assert 'LoadSaliencyMap' in types and types[-1] == 'PackWSSSInputs'
    assert cfg.test_dataloader.dataset.data_prefix.sal_path == 'SaliencyMap'
    assert not cfg.custom_hooks


def _train_geometry(cfg, native):
    """(resize side, crop side) of a stage config's training pipeline on images of side native
    (no Resize: None; no RandomCrop: the side the images reach the model at)."""
    steps = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    resize = tuple(steps['Resize']['scale']) if 'Resize' in steps else None
    if 'RandomCrop' in steps:
        crop = tuple(steps['RandomCrop']['crop_size'])
    else:
        crop = resize or (native, native)
    return resize, crop


@pytest.mark.parametrize(
    'voc, synthetic',
    [
        (
            'drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py',
            'drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
        ),
        (
            'drs-refine_vgg16_1xb10-30e_voc12aug-320x320.py',
            'drs-refine_vgg16-x0.25_1xb10-30e_synthetic-256x256.py',
        ),
    ],
)
def test_synthetic_stages_are_scaled_copies_of_voc(voc, synthetic):
    """The synthetic benchmark's image side replaces VOC's 320: training resize and crop, and the
    map scales of the pseudo-label hook, keep VOC's ratios to it (rounded to a pixel)."""
    voc_cfg, syn_cfg = (_load(osp.join(ROOT, 'configs', 'drs', n)) for n in (voc, synthetic))
    side = SYNTHETIC_BENCHMARK['image_size']
    factor = side / 320
    voc_resize, voc_crop = _train_geometry(voc_cfg, None)
    syn_resize, syn_crop = _train_geometry(syn_cfg, side)
    assert voc_crop == (320, 320) and syn_crop == (side, side)
    if voc_resize == voc_crop:  # refinement: VOC resizes to its crop, the synthetic set is native
        assert syn_resize in (None, (side, side))
    else:
        assert syn_resize == tuple(round(v * factor) for v in voc_resize)
    (voc_hook,) = [h for h in voc_cfg.custom_hooks if h['type'] == 'PseudoLabelHook']
    (syn_hook,) = [h for h in syn_cfg.custom_hooks if h['type'] == 'PseudoLabelHook']
    assert tuple(syn_hook['scales']) == tuple(round(s * factor) for s in voc_hook['scales'])


SYNTHETIC_STAGE_CONFIGS = sorted(
    p
    for pattern in ('configs/**/*_synthetic-*x*.py', 'projects/*/configs/**/*_synthetic-*x*.py')
    for p in glob.glob(osp.join(ROOT, pattern), recursive=True)
    if '_base_' not in p and 'synthetic-pretrain' not in p  # the stand-in's own 128-px set
)


@pytest.mark.parametrize('path', SYNTHETIC_STAGE_CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_synthetic_config_names_and_crops_follow_the_benchmark_side(path):
    """A synthetic stage config's name says the benchmark's side, and so does its training crop."""
    side = SYNTHETIC_BENCHMARK['image_size']
    assert path.endswith(f'-{side}x{side}.py')
    steps = {t['type']: t for t in _load(path).train_dataloader.dataset.pipeline}
    for name, key in (('RandomCrop', 'crop_size'), ('Resize', 'scale'), ('RandomResize', 'scale')):
        if name in steps:
            assert min(steps[name][key]) >= side, (name, steps[name][key])
    if 'RandomCrop' in steps:
        assert tuple(steps['RandomCrop']['crop_size']) == (side, side)
