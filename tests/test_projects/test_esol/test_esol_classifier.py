# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOLClassifier: what each stage runs and trains, inverse supervision, loading, predictions."""

import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import MODELS
from projects.esol.esol import ESOLClassifier

K = 3  # foreground classes


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def tiny_cfg(stage='expand', **kwargs):
    cfg = dict(
        type='ESOLClassifier',
        stage=stage,
        backbone=dict(type='DRSVGG', widen_factor=1 / 16, init_cfg=None),
        decode_head=dict(type='CAMHead', num_classes=K, in_channels=32, channels=16, num_convs=1),
        expansion=dict(type='ESOLExpansionSampler', max_offset=2.0),
        shrinkage=dict(type='ESOLShrinkageSampler', max_offset=2.0),
        feature_clip=dict(type='FeatureClip', tau=0.7),
        area_loss=dict(type='ESOLAreaLoss', loss_weight=0.5),
    )
    cfg.update(kwargs)
    return cfg


def build(stage='expand', seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(tiny_cfg(stage, **kwargs))
    model.init_weights()
    return model


def batch(n=6, seed=1):
    """Noise images with a 12 x 12 square of its class colour per present class."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 32, 32, generator=g) * 0.3
    colours = torch.tensor([[2.0, -1.0, -1.0], [-1.0, 2.0, -1.0], [-1.0, -1.0, 2.0]])
    samples = []
    for i in range(n):
        label = torch.zeros(K)
        for c in {i % K, (i + 1) % K} if i % 2 else {i % K}:
            label[c] = 1
            y, x = torch.randint(0, 20, (2,), generator=g).tolist()
            inputs[i, :, y : y + 12, x : x + 12] += colours[c].view(3, 1, 1)
        sample = SegDataSample(metainfo=dict(ori_shape=(32, 32), img_shape=(32, 32)))
        sample.gt_cls_label = label
        samples.append(sample)
    return inputs, samples


@pytest.fixture(scope='module')
def stage1_state():
    """A tiny stage-1 CAM classifier trained on the toy batch (loss ~0.69 -> ~0.4)."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='CAMClassifier',
            backbone=dict(type='DRSVGG', widen_factor=1 / 16, init_cfg=None),
            decode_head=dict(
                type='CAMHead', num_classes=K, in_channels=32, channels=16, num_convs=1
            ),
        )
    )
    model.init_weights()
    inputs, samples = batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        loss = model.loss(inputs, samples)['loss_cls']
        loss.backward()
        opt.step()
    assert loss.item() < 0.55
    return model.state_dict()


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before, model):
    return {k for k, v in model.state_dict().items() if not torch.equal(before[k], v)}


def test_stages_choose_the_path_and_the_trainable_parts():
    expand, shrink = build('expand'), build('shrink')
    assert isinstance(expand, ESOLClassifier)
    assert expand.trainable == ('expansion', 'decode_head')
    assert shrink.trainable == ('shrinkage',)
    for model in (expand, shrink):
        for name, p in model.named_parameters():
            assert p.requires_grad == (name.split('.')[0] in model.trainable), name
    # a zero-initialised shrinkage sampler with the identity kernel changes nothing
    shrink.load_state_dict(expand.state_dict())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expanded = expand(x, mode='tensor')
        assert expanded.shape == (2, K, 4, 4)
        torch.testing.assert_close(shrink(x, mode='tensor'), expanded)
        shrink.shrinkage.offset_conv.bias.fill_(0.7)
        assert not torch.allclose(shrink(x, mode='tensor'), expanded)
        # the expansion stage never runs the shrinkage sampler
        expand.shrinkage.offset_conv.bias.fill_(0.7)
        torch.testing.assert_close(expand(x, mode='tensor'), expanded)


def test_frozen_parts_stay_in_eval_mode():
    cfg = tiny_cfg(
        backbone=dict(
            type='ResNetV1c',
            depth=18,
            stem_channels=8,
            base_channels=4,
            out_indices=(3,),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            contract_dilation=True,
            norm_cfg=dict(type='BN'),
            init_cfg=None,
        )
    )
    model = MODELS.build(cfg)
    model.train()
    assert model.training and model.decode_head.training and model.expansion.training
    assert not model.backbone.training
    before = snapshot(model)
    inputs, samples = batch()
    model.loss(inputs, samples)['loss_cls'].backward()
    assert not any(k.startswith('backbone.') for k in changed(before, model))  # BN stats kept
    assert all(p.grad is None for p in model.backbone.parameters())


def test_gradient_ascent_increases_the_expansion_loss_and_nothing_frozen_moves(stage1_state):
    """Only the expansion offsets learn, through the reversal layer: the classification loss of
    a trained stage-1 classifier rises step after step while backbone, head, fixed kernels and
    shrinkage stay put."""
    model = build('expand', trainable=['expansion'])
    model.load_state_dict(stage1_state, strict=False)
    inputs, samples = batch()
    before = snapshot(model)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = model.loss(inputs, samples)['loss_cls']
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        losses.append(model.loss(inputs, samples)['loss_cls'].item())
    assert all(b > a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] > losses[0] + 1e-3
    assert changed(before, model) == {'expansion.offset_conv.weight', 'expansion.offset_conv.bias'}
    # the same step without the reversal would have lowered the loss
    descend = build(
        'expand',
        trainable=['expansion'],
        expansion=dict(type='DeformableSampler', weight_init='mean', max_offset=2.0),
    )
    descend.load_state_dict(before)
    opt = torch.optim.SGD([p for p in descend.parameters() if p.requires_grad], lr=0.5)
    opt.zero_grad()
    descend.loss(inputs, samples)['loss_cls'].backward()
    opt.step()
    with torch.no_grad():
        assert descend.loss(inputs, samples)['loss_cls'].item() < losses[0]


@pytest.mark.parametrize(
    'stage, parts', [('expand', {'expansion', 'decode_head'}), ('shrink', {'shrinkage'})]
)
def test_an_optimizer_step_moves_only_the_stage_parameters(stage, parts):
    model = build(stage)
    # as the stage configs build it: SGD, weight decay, the DRS constructor
    wrapper = build_optim_wrapper(
        model,
        dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4),
            constructor='DRSOptimWrapperConstructor',
            paramwise_cfg=dict(new_keys=[f'.{sorted(parts)[0]}.']),
        ),
    )
    optimised = {id(p) for group in wrapper.optimizer.param_groups for p in group['params']}
    assert optimised == {id(p) for p in model.parameters() if p.requires_grad}
    inputs, samples = batch()
    before = snapshot(model)
    losses = model.loss(inputs, samples)
    assert set(losses) == ({'loss_cls', 'loss_area'} if stage == 'shrink' else {'loss_cls'})
    wrapper.update_params(sum(losses.values()))
    moved = changed(before, model)
    assert {k.split('.')[0] for k in moved} == parts
    assert not any(k.endswith('.weight') and k.count('.') == 1 for k in moved)  # fixed kernels


def test_bad_stage_and_trainable():
    with pytest.raises(ValueError, match='esol_classifier.py.*stage'):
        MODELS.build(tiny_cfg('both'))
    with pytest.raises(ValueError, match='not used in stage'):
        MODELS.build(tiny_cfg('expand', trainable=['shrinkage']))
    with pytest.raises(ValueError, match='subset'):
        MODELS.build(tiny_cfg('expand', trainable=['neck']))
    with pytest.raises(ValueError, match='in_channels'):
        MODELS.build(tiny_cfg(expansion=dict(type='ESOLExpansionSampler', in_channels=8)))


def test_predictions_follow_the_map_model_contract():
    model = build('shrink').eval()
    inputs, samples = batch(2)
    with torch.no_grad():
        out = model.predict(inputs, copy.deepcopy(samples))
        maps, scores = model.localization_maps(inputs, (16, 16), labels=torch.ones(2, K))
    assert maps.shape == (2, K, 16, 16) and scores.shape == (2, K)
    assert 0 <= maps.min() and maps.max() <= 1
    for sample, given in zip(out, samples):
        logits = sample.seg_logits.data
        assert logits.shape == (K + 1, 32, 32)
        absent = given.gt_cls_label == 0
        assert (logits[1:][absent] == 0).all()
        assert sample.pred_sem_seg.data.shape == (1, 32, 32)
        assert sample.pred_score.shape == (K,)


def test_stage_checkpoints_arrive_and_are_checked(tmp_path):
    torch.manual_seed(3)
    stage1 = MODELS.build(
        dict(
            type='CAMClassifier',
            backbone=dict(type='DRSVGG', widen_factor=1 / 16, init_cfg=None),
            decode_head=dict(
                type='CAMHead', num_classes=K, in_channels=32, channels=16, num_convs=1
            ),
        )
    )
    path = str(tmp_path / 'stage1.pth')
    torch.save(dict(state_dict=stage1.state_dict()), path)
    expand = build('expand', seed=7, init_cfg=dict(type='Pretrained', checkpoint=path))
    for key, value in stage1.state_dict().items():
        torch.testing.assert_close(expand.state_dict()[key], value)
    # expansion -> shrinkage: the learned offsets arrive too
    with torch.no_grad():
        expand.expansion.offset_conv.bias.fill_(0.3)
    path2 = str(tmp_path / 'expand.pth')
    torch.save(dict(state_dict=expand.state_dict()), path2)
    shrink = build('shrink', seed=8, init_cfg=dict(type='Pretrained', checkpoint=path2))
    assert (shrink.expansion.offset_conv.bias == 0.3).all()
    # a stage-1 checkpoint cannot start the shrinkage; a backbone-only one not even the expansion
    with pytest.raises(RuntimeError, match='lacks .*expansion.offset_conv'):
        build('shrink', init_cfg=dict(type='Pretrained', checkpoint=path))
    partial = str(tmp_path / 'backbone.pth')
    torch.save({k: v for k, v in stage1.state_dict().items() if k.startswith('backbone.')}, partial)
    with pytest.raises(RuntimeError, match='backbone.pth lacks 4 weights'):
        build('expand', init_cfg=dict(type='Pretrained', checkpoint=partial))


def test_stage1_checkpoints_of_the_old_layout_start_the_expansion(tmp_path):
    """A stage-1 checkpoint written when the head was saved as ``head.*``."""
    torch.manual_seed(3)
    stage1 = MODELS.build(
        dict(
            type='CAMClassifier',
            backbone=dict(type='DRSVGG', widen_factor=1 / 16, init_cfg=None),
            decode_head=dict(
                type='CAMHead', num_classes=K, in_channels=32, channels=16, num_convs=1
            ),
        )
    )
    old = {k.replace('decode_head.', 'head.', 1): v for k, v in stage1.state_dict().items()}
    path = str(tmp_path / 'stage1_old.pth')
    torch.save(dict(state_dict=old), path)
    expand = build('expand', seed=7, init_cfg=dict(type='Pretrained', checkpoint=path))
    for key, value in stage1.state_dict().items():
        torch.testing.assert_close(expand.state_dict()[key], value)
    # the old part name in `trainable` is read as decode_head
    assert build('expand', trainable=['expansion', 'head']).trainable == (
        'expansion',
        'decode_head',
    )


def test_fixed_kernel_copied_from_a_backbone_conv():
    model = build(
        'expand',
        expansion=dict(
            type='ESOLExpansionSampler',
            weight_init='copy',
            weight_source='backbone.features.28.weight',
        ),
    )
    torch.testing.assert_close(model.expansion.weight, model.backbone.features[28].weight)
    assert not model.backbone.features[28].weight.requires_grad
    with pytest.raises(KeyError, match='weight_source'):
        build(
            'expand',
            expansion=dict(
                type='ESOLExpansionSampler', weight_init='copy', weight_source='backbone.nothing'
            ),
        )


@pytest.mark.skipif(
    not getattr(torch.amp.autocast_mode, 'is_autocast_available', lambda _: True)('cpu'),
    reason='torch has no CPU autocast',
)
def test_a_tiny_model_trains_and_predicts_under_cpu_bf16_autocast():
    """As `--amp` and precision 'auto' run it on a CPU with bf16: mmcv has no bf16 deformable
    conv, so the samplers run it in fp32; loss, backward and predictions work and stay close."""
    model = build('shrink')
    with torch.no_grad():
        for sampler in (model.expansion, model.shrinkage):
            sampler.offset_conv.bias.uniform_(-1, 1, generator=torch.Generator().manual_seed(2))
    inputs, samples = batch(2)
    ref = model.loss(inputs, samples)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(inputs, samples)
    assert set(losses) == set(ref) == {'loss_cls', 'loss_area'}
    for key in ref:
        torch.testing.assert_close(losses[key].float(), ref[key], atol=0.03, rtol=0.03)
    sum(losses.values()).backward()
    grads = [p.grad for p in model.shrinkage.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    model.eval()
    with torch.no_grad():
        expected = model(inputs, mode='tensor')
        with torch.autocast('cpu', dtype=torch.bfloat16):
            logits = model(inputs, mode='tensor')
            out = model.predict(inputs, copy.deepcopy(samples))
    torch.testing.assert_close(logits.float(), expected, atol=0.1, rtol=0.05)
    assert all(torch.isfinite(s.seg_logits.data).all() for s in out)
