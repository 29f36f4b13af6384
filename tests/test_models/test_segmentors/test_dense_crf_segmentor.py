# Copyright (c) mmwsss contributors. All rights reserved.
import copy
import sys

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.segmentors import DenseCRFSegmentor
from mmwsss.models.utils import DenseCRF
from mmwsss.registry import MODELS

H, W = 16, 20
PREPROCESSOR = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size_divisor=8,
)
BACKBONE = dict(type='DRSVGG', widen_factor=1 / 16, act_cfg=dict(type='ReLU'))
ENCODER_DECODER = dict(
    type='EncoderDecoder',
    data_preprocessor=PREPROCESSOR,
    backbone=BACKBONE,
    decode_head=dict(
        type='FCNHead',
        in_channels=32,
        channels=8,
        num_convs=1,
        concat_input=False,
        num_classes=3,
        norm_cfg=None,
        dropout_ratio=0,
        align_corners=False,
    ),
    test_cfg=dict(mode='whole'),
)
REFINE = dict(
    type='RefineSegmentor',
    data_preprocessor=PREPROCESSOR,
    backbone=BACKBONE,
    decode_head=dict(type='RefineHead', num_classes=2, in_channels=32, channels=8),
)


@pytest.fixture(autouse=True)
def mmseg_scope_one_thread():
    init_default_scope('mmseg')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _build(inner, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(dict(type='DenseCRFSegmentor', segmentor=copy.deepcopy(inner), **kwargs))
    model.init_weights()  # near-uniform outputs: the CRF has a say
    return model.eval()


@pytest.fixture
def image_file(tmp_path):
    img = np.zeros((H, W, 3), np.uint8)  # BGR as cv2 reads it
    img[:, W // 2 :] = (40, 200, 90)
    img[4:12, 3:8] = (250, 250, 250)
    path = str(tmp_path / 'img.png')
    mmcv.imwrite(img, path)
    return path, img


def _data(img_bgr, path=None, **meta):
    info = dict(ori_shape=(H, W), img_shape=(H, W), pad_shape=(H, W), **meta)
    if path:
        info['img_path'] = path
    sample = SegDataSample(metainfo=info)
    sample.gt_cls_label = torch.tensor([1.0, 1.0])
    inputs = torch.from_numpy(img_bgr.transpose(2, 0, 1).copy())
    return dict(inputs=[inputs], data_samples=[sample])


def _fake_logits(inputs, batch_img_metas):
    """Weak logits: class 1 on the right half, class 0 on the left, three
    wrong pixels on the right, class 2 nowhere."""
    logits = torch.zeros(inputs.shape[0], 3, H, W)
    logits[:, 0, :, : W // 2] = 0.5
    logits[:, 1, :, W // 2 :] = 0.5
    for y, x in ((2, 15), (9, 12), (13, 17)):
        logits[:, :2, y, x] = torch.tensor([0.6, 0.0])
    return logits


def test_crf_on_an_mmseg_segmentor(image_file, monkeypatch):
    path, img = image_file
    model = _build(ENCODER_DECODER)
    assert isinstance(model, DenseCRFSegmentor)
    assert model.score_type == 'logits'
    monkeypatch.setattr(model.segmentor, 'encode_decode', _fake_logits)
    with torch.no_grad():
        out = model.test_step(_data(img, path))[0]
        plain = model.segmentor.test_step(_data(img, path))[0]
    logits = out.seg_logits.data
    assert torch.equal(logits, plain.seg_logits.data)  # left untouched
    probs = F.softmax(logits, dim=0).numpy()
    by_hand = DenseCRF()(img[:, :, ::-1].copy(), probs).argmax(0)
    pred = out.pred_sem_seg.data
    assert pred.shape == (1, H, W) and pred.dtype == torch.long
    np.testing.assert_array_equal(pred[0].numpy(), by_hand)
    # the CRF cleans the three wrong pixels, following the image halves
    assert (plain.pred_sem_seg.data[0, :, W // 2 :] == 0).sum() == 3
    expected = torch.zeros(H, W, dtype=torch.long)
    expected[:, W // 2 :] = 1
    assert torch.equal(pred[0], expected)


def test_map_models_are_wrapped_transparently(image_file):
    path, img = image_file
    model = _build(REFINE)
    assert model.score_type == 'scores'
    assert model.test_cfg is model.segmentor.test_cfg
    assert model.num_classes == 3
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        maps, _ = model.localization_maps(x, (8, 8))
        out = model.test_step(_data(img, path))[0]
    assert maps.shape == (1, 2, 8, 8)
    seg = out.seg_logits.data
    assert seg.shape == (3, H, W) and torch.all(seg[0] == 0.2)
    probs = model.to_probs(seg).numpy()
    np.testing.assert_allclose(probs, (seg / seg.sum(0)).numpy(), atol=1e-6)
    # deep copies (EMA, SWA hooks) work: no module objects are held
    assert copy.deepcopy(model).crf.bi_rgb_std == 3


def test_plain_checkpoints_load_into_the_wrapper():
    wrapper = _build(ENCODER_DECODER, seed=1)
    torch.manual_seed(2)
    plain = MODELS.build(copy.deepcopy(ENCODER_DECODER))
    state = plain.state_dict()
    load_state_dict(wrapper, state, strict=True)  # raises on missing keys
    for key, value in state.items():
        assert torch.equal(wrapper.state_dict()['segmentor.' + key], value)
    # its own (prefixed) state dict loads too
    other = _build(ENCODER_DECODER, seed=3)
    other.load_state_dict(wrapper.state_dict())
    assert torch.equal(
        other.segmentor.decode_head.conv_seg.weight, plain.decode_head.conv_seg.weight
    )


def test_to_probs():
    model = _build(ENCODER_DECODER)
    logits = torch.randn(3, 2, 2)
    assert torch.allclose(model.to_probs(logits), F.softmax(logits, 0))
    binary = model.to_probs(torch.zeros(1, 2, 2))
    assert binary.shape == (2, 2, 2) and torch.allclose(binary, torch.full_like(binary, 0.5))
    model.score_type = 'scores'
    scores = torch.tensor([[[0.2, 0.0]], [[0.6, 0.0]]])
    assert torch.allclose(model.to_probs(scores), torch.tensor([[[0.25, 0.5]], [[0.75, 0.5]]]))


def test_errors(image_file):
    _, img = image_file
    with pytest.raises(ValueError, match='score_type must be one of'):
        _build(ENCODER_DECODER, score_type='softmax')
    model = _build(ENCODER_DECODER)
    with pytest.raises(KeyError, match='the CRF needs img_path'):
        with torch.no_grad():
            model.test_step(_data(img))
    with pytest.raises(FileNotFoundError, match=r'image .*nope\.png'):
        with torch.no_grad():
            model.test_step(_data(img, '/nonexistent/nope.png'))


def test_missing_pydensecrf_fails_at_build(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pydensecrf', None)
    monkeypatch.setitem(sys.modules, 'pydensecrf.densecrf', None)
    with pytest.raises(
        ImportError,
        match=r'pip install -r '
        r'requirements/optional.txt',
    ):
        MODELS.build(dict(type='DenseCRFSegmentor', segmentor=copy.deepcopy(ENCODER_DECODER)))
