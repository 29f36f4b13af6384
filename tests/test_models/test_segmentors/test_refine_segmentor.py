# Copyright (c) mmwsss contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample
from PIL import Image

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.models.decode_heads import argmax_masked_target
from mmwsss.models.segmentors import CAMClassifier, RefineSegmentor
from mmwsss.registry import MODELS

K = 3  # foreground classes


@pytest.fixture(autouse=True)
def mmseg_scope_one_thread():
    """Build SegDataPreProcessor as an MMSeg config would; one torch thread
    (tiny convs are slower with threads on a busy 2-core machine)."""
    init_default_scope('mmseg')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY = dict(
    type='RefineSegmentor',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size_divisor=8,
    ),
    backbone=dict(type='DRSVGG', widen_factor=1 / 16, act_cfg=dict(type='ReLU')),
    decode_head=dict(type='RefineHead', num_classes=K, in_channels=32, channels=8),
    test_cfg=dict(bg_threshold=0.2),
)


def _model(**test_cfg):
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY)
    cfg['test_cfg'].update(test_cfg)
    model = MODELS.build(cfg)
    model.init_weights()
    # larger head weights than N(0, 0.01), so outputs span [0, 1] and the
    # clipping shows
    with torch.no_grad():
        for conv in (
            model.decode_head.convs[0],
            model.decode_head.convs[2],
            model.decode_head.convs[4],
            model.decode_head.conv_seg,
        ):
            conv.weight.normal_(0, 0.5)
        model.decode_head.conv_seg.bias.fill_(0.3)
    return model.eval()


def _sample(label, ori_shape, **meta):
    sample = SegDataSample(metainfo=dict(ori_shape=ori_shape, **meta))
    sample.gt_cls_label = torch.tensor(label, dtype=torch.float32)
    return sample


def test_is_a_cam_classifier_with_official_maps():
    model = _model()
    assert isinstance(model, RefineSegmentor)
    assert isinstance(model, CAMClassifier)
    assert model.num_classes == K + 1 and model.num_fg_classes == K
    x = torch.randn(2, 3, 24, 24)
    with torch.no_grad():
        maps, scores = model.localization_maps(x, (30, 20))
        raw = model.decode_head(model.backbone(x))  # (2, K, 3, 3)
    official = F.interpolate(raw, size=(30, 20), mode='bilinear', align_corners=True).clamp(
        min=0
    )  # no cap at 1
    assert maps.shape == (2, K, 30, 20)
    assert torch.allclose(maps, official, atol=1e-6)
    assert (maps == 0).any() and (maps > 1).any()  # clipped below, kept above 1
    assert torch.allclose(scores, official.amax(dim=(2, 3)))


def test_localization_maps_scales_flip_and_labels():
    model = _model(scales=(16, 1.5), flip=True)
    x = torch.randn(1, 3, 24, 24)
    labels = torch.tensor([[1.0, 0.0, 1.0]])
    with torch.no_grad():
        fused, scores = model.localization_maps(x, (24, 24), labels)
        passes = []
        for size in ((16, 16), (36, 36)):
            img = F.interpolate(x, size=size, mode='bilinear', align_corners=False)
            for flip in (False, True):
                out = model.decode_head(model.backbone(img.flip(-1) if flip else img))
                m = F.interpolate(out, size=(24, 24), mode='bilinear', align_corners=True).clamp(
                    min=0
                )
                passes.append(m.flip(-1) if flip else m)
    expected = torch.stack(passes).amax(dim=0)
    assert torch.allclose(fused, expected * labels[:, :, None, None], atol=1e-6)
    assert torch.allclose(scores, expected.amax(dim=(2, 3)), atol=1e-6)
    assert fused[0, 1].abs().sum() == 0
    # the flip passes count: without them the result differs
    model.test_cfg.flip = False
    with torch.no_grad():
        no_flip, _ = model.localization_maps(x, (24, 24), labels)
    assert not torch.allclose(no_flip, fused)


def test_predict_contract_format_with_padding():
    model = _model()
    inputs = torch.randn(2, 3, 24, 28)
    samples = [
        _sample([1.0, 0.0, 1.0], (30, 25), padding_size=(0, 4, 0, 0)),
        _sample([0.0, 1.0, 0.0], (24, 28), padding_size=(0, 0, 0, 0)),
    ]
    with torch.no_grad():
        out = model.predict(inputs, samples)
        direct, _ = model.localization_maps(inputs[:1, :, :, :24], (30, 25))
    seg = out[0].seg_logits.data
    assert seg.shape == (K + 1, 30, 25)
    assert torch.all(seg[0] == 0.2)  # background = bg_threshold
    assert torch.allclose(seg[1:], direct[0] * torch.tensor([1.0, 0.0, 1.0])[:, None, None])
    assert seg[2].abs().sum() == 0 and seg.min() >= 0  # refined scores may exceed 1
    assert out[0].pred_sem_seg.data.dtype == torch.long
    assert torch.equal(out[0].pred_sem_seg.data, seg.argmax(0, keepdim=True))
    assert out[0].pred_score.shape == (K,)
    assert out[1].seg_logits.data.shape == (K + 1, 24, 28)
    assert out[1].seg_logits.data[[1, 3]].abs().sum() == 0


def test_iou_metric_reads_predictions():
    model = _model()
    sample = _sample([1.0, 1.0, 0.0], (16, 16))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, K + 1, (1, 16, 16)))
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 16, 16), [sample])
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=['bg', 'a', 'b', 'c'])
    metric.process([], [o.to_dict() for o in out])
    result = metric.compute_metrics(metric.results)
    assert 0 <= result['mIoU'] <= 100


def test_train_step_decreases_loss():
    model = _model().train()
    maps = torch.zeros(2, K, 32, 32, dtype=torch.uint8)
    maps[:, 0, 4:20, 4:20] = 200
    maps[:, 2, 12:30, 10:28] = 150
    data_samples = []
    for m in maps:
        s = _sample([1.0, 0.0, 1.0], (32, 32))
        s.gt_loc_map = PixelData(data=m)
        data_samples.append(s)
    torch.manual_seed(1)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(2)],
        data_samples=data_samples,
    )
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    losses = [model.train_step(data, optim)['loss_refine'].item() for _ in range(6)]
    assert losses[-1] < losses[0]


def test_train_step_from_a_pipeline(tmp_path):
    """Files -> LoadLocalizationMaps -> MMSeg geometry -> packing -> batch
    padding (two sizes, size_divisor 8) -> loss."""
    rng = np.random.default_rng(0)
    infos = []
    for name, (h, w) in (('a', (20, 28)), ('b', (30, 18))):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(img).save(tmp_path / f'{name}.png')
        maps = rng.integers(0, 256, (2, h, w), dtype=np.uint8)
        np.savez_compressed(tmp_path / f'{name}.npz', maps=maps, labels=np.array([1, 3]))
        infos.append(
            dict(
                img_path=str(tmp_path / f'{name}.png'),
                img_id=name,
                cls_labels=[1, 3],
                num_classes=K + 1,
                seg_fields=[],
            )
        )
    pipeline = Compose(
        [
            dict(type='LoadImageFromFile'),
            dict(type='LoadImageLevelLabels'),
            dict(type='LoadLocalizationMaps', maps_dir=str(tmp_path)),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackWSSSInputs'),
        ]
    )
    data = pseudo_collate([pipeline(info) for info in infos])
    model = _model().train()
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-4))
    loss = model.train_step(data, optim)['loss_refine']
    assert torch.isfinite(loss) and loss > 0
    # the same loss by hand, from the padded batch
    processed = model.data_preprocessor(data, training=True)
    assert processed['inputs'].shape[-2:] == (32, 32)
    with torch.no_grad():
        out = model._forward(processed['inputs'])
        up = F.interpolate(out, size=(32, 32), mode='bilinear', align_corners=True)
    errors = []
    for i, sample in enumerate(processed['data_samples']):
        target = argmax_masked_target(sample.gt_loc_map.data.float() / 255)
        h, w = target.shape[-2:]
        errors.append((up[i, :, :h, :w] - target).flatten())
    by_hand = torch.cat(errors).pow(2).mean()
    with torch.no_grad():
        again = model.loss(processed['inputs'], processed['data_samples'])
    assert torch.allclose(again['loss_refine'], by_hand, atol=1e-6)


def test_rejects_a_head_that_does_not_refine():
    cfg = copy.deepcopy(TINY)
    cfg['decode_head'] = dict(type='CAMHead', num_classes=K, in_channels=32, channels=8)
    with pytest.raises(TypeError, match='not a refinement head'):
        MODELS.build(cfg)
