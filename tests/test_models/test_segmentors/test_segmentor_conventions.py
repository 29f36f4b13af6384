# Copyright (c) mmwsss contributors. All rights reserved.
"""The map segmentors follow MMSeg's segmentor conventions (what MMSeg's tools rely on): the head is
``decode_head``, ``pretrained`` is taken as ``EncoderDecoder`` takes it, and checkpoints of the
old layout (the head saved as ``head.*``) still load, however they are loaded."""

import copy
from collections import OrderedDict

import pytest
import torch
from generation_helpers import tiny_model_cfg
from mmengine.runner.checkpoint import load_checkpoint

from mmwsss.apis import check_checkpoint_fits
from mmwsss.models.segmentors import CAMClassifier, DenseCRFSegmentor, cam_classifier
from mmwsss.registry import MODELS

REFINE = dict(
    type='RefineSegmentor',
    backbone=dict(type='DRSVGG', widen_factor=1 / 16, act_cfg=dict(type='ReLU')),
    decode_head=dict(type='RefineHead', num_classes=2, in_channels=32, channels=8),
)


def _build(cfg, seed=0):
    torch.manual_seed(seed)
    return MODELS.build(copy.deepcopy(cfg))


def _old_layout(state: dict, version=1) -> OrderedDict:
    """``state`` as mmwsss wrote it before the head was called decode_head."""
    old = OrderedDict(
        (k.replace('decode_head.', 'head.', 1) if k.startswith('decode_head.') else k, v)
        for k, v in state.items()
    )
    if version is not None:
        old._metadata = OrderedDict({'': dict(version=version)})
    return old


@pytest.mark.parametrize('cfg', [tiny_model_cfg(), REFINE], ids=['CAMClassifier', 'Refine'])
def test_decode_head_as_in_mmseg(mmseg_scope, cfg):
    model = _build(cfg)
    assert model.with_decode_head and not model.with_auxiliary_head and not model.with_neck
    assert not hasattr(model, 'head')
    assert {name.split('.')[0] for name, _ in model.named_parameters()} == {
        'backbone',
        'decode_head',
    }
    x = torch.randn(2, 3, 32, 32)
    feats = model.extract_feat(x)
    assert isinstance(feats, tuple) and feats[-1].shape[:2] == (2, 32)
    cams = model(x, mode='tensor')  # what get_flops.py calls
    assert torch.equal(cams, model.decode_head(feats))
    assert model.encode_decode(x, [{}] * 2).shape == (2, model.num_fg_classes, 32, 32)


def test_old_name_head_is_read_with_a_warning(mmseg_scope, monkeypatch):
    logged = []
    monkeypatch.setattr(cam_classifier, 'print_log', lambda msg, **kwargs: logged.append(msg))
    cfg = tiny_model_cfg()
    old = dict(cfg)
    old['head'] = old.pop('decode_head')
    new_state = _build(cfg).state_dict()
    model = _build(old)
    assert list(model.state_dict()) == list(new_state)
    assert len(logged) == 1 and '`head` is deprecated' in logged[0]
    with pytest.raises(TypeError, match='both decode_head and head'):
        MODELS.build(dict(cfg, head=cfg['decode_head']))
    with pytest.raises(TypeError, match='needs a decode_head'):
        MODELS.build(dict(type='CAMClassifier', backbone=cfg['backbone']))


def test_pretrained_goes_to_the_backbone_as_in_encoder_decoder(mmseg_scope):
    cfg = tiny_model_cfg()
    model = MODELS.build(dict(cfg, pretrained='a.pth'))
    assert model.backbone.init_cfg == dict(type='Pretrained', checkpoint='a.pth')
    # the backbone's Pretrained init keeps its prefix, only the file changes
    cfg['backbone'] = dict(
        cfg['backbone'], init_cfg=dict(type='Pretrained', checkpoint='b.pth', prefix='backbone.')
    )
    model = MODELS.build(dict(cfg, pretrained='a.pth'))
    assert model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='a.pth', prefix='backbone.'
    )
    assert MODELS.build(dict(cfg, pretrained=None)).backbone.init_cfg['checkpoint'] == 'b.pth'
    with pytest.raises(ValueError, match='both the backbone and'):
        MODELS.build(dict(cfg, pretrained='a.pth', backbone=dict(cfg['backbone'], pretrained='c')))


def test_pretrained_backbone_weights_arrive(mmseg_scope, tmp_path):
    source = _build(tiny_model_cfg(), seed=1)
    path = str(tmp_path / 'backbone.pth')
    weights = {f'backbone.{k}': v for k, v in source.backbone.state_dict().items()}
    torch.save(dict(state_dict=weights), path)
    cfg = tiny_model_cfg()
    cfg['backbone'] = dict(
        cfg['backbone'], init_cfg=dict(type='Pretrained', checkpoint='none.pth', prefix='backbone.')
    )
    model = _build(dict(cfg, pretrained=path), seed=2)
    model.init_weights()
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value)


@pytest.mark.parametrize('version', [1, None], ids=['version1', 'no_metadata'])
@pytest.mark.parametrize('cfg', [tiny_model_cfg(), REFINE], ids=['CAMClassifier', 'Refine'])
def test_old_checkpoints_load(mmseg_scope, tmp_path, cfg, version):
    source = _build(cfg, seed=1)
    old = _old_layout(source.state_dict(), version)
    assert any(k.startswith('head.') for k in old)

    model = _build(cfg, seed=2)
    model.load_state_dict(old, strict=True)  # torch's loader
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)

    path = str(tmp_path / 'old.pth')
    torch.save(dict(state_dict=old, meta=dict(epoch=1)), path)
    model = _build(cfg, seed=3)
    load_checkpoint(model, path, strict=True)  # MMEngine's loader: load_from, Pretrained, tools
    assert torch.equal(model.decode_head.convs[0].weight, source.decode_head.convs[0].weight)
    check_checkpoint_fits(model, torch.load(path, weights_only=False), path)  # mmwsss's check

    model = _build(dict(cfg, init_cfg=dict(type='Pretrained', checkpoint=path)), seed=4)
    model.init_weights()  # a stage handing over through init_cfg
    assert torch.equal(model.decode_head.convs[0].weight, source.decode_head.convs[0].weight)


def test_new_checkpoints_record_their_layout(mmseg_scope):
    state = _build(tiny_model_cfg()).state_dict()
    assert (
        state._metadata[''] == dict(version=CAMClassifier._version) and CAMClassifier._version == 2
    )
    assert not any(k.startswith('head.') for k in state)
    assert CAMClassifier.convert_legacy_keys(state).keys() == state.keys()


def test_old_checkpoints_load_into_the_crf_wrapper(mmseg_scope):
    source = _build(REFINE, seed=1)
    wrapper = MODELS.build(dict(type='DenseCRFSegmentor', segmentor=copy.deepcopy(REFINE)))
    wrapper.load_state_dict(_old_layout(source.state_dict()), strict=True)
    assert torch.equal(
        wrapper.segmentor.decode_head.conv_seg.weight, source.decode_head.conv_seg.weight
    )
    assert wrapper.decode_head is wrapper.segmentor.decode_head  # delegated
    assert wrapper.with_decode_head


def test_crf_wrapper_passes_pretrained_and_train_cfg_on(mmseg_scope):
    wrapper = MODELS.build(
        dict(
            type='DenseCRFSegmentor',
            segmentor=copy.deepcopy(REFINE),
            pretrained='a.pth',
            train_cfg=dict(x=1),
        )
    )
    assert wrapper.segmentor.backbone.init_cfg['checkpoint'] == 'a.pth'
    assert wrapper.segmentor.train_cfg == dict(x=1)
    with pytest.raises(ValueError, match='built segmentor'):
        DenseCRFSegmentor(segmentor=_build(REFINE), pretrained='a.pth')
