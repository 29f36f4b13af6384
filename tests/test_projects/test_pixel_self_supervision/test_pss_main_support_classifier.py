# Copyright (c) mmwsss contributors. All rights reserved.
"""MainSupportCAMClassifier: SupportNet modes, gradients, checkpoints, EMA and the map contract."""

from types import SimpleNamespace

import pytest
import torch
from pss_test_helpers import NUM_FG, TINY, batch, build

from mmwsss.registry import MODELS
from projects.pixel_self_supervision.pixel_self_supervision import SupportNetEMAHook, ema_update_

# the plain CAM classifier MainNet is
CAM = dict(type='CAMClassifier', backbone=TINY['backbone'], decode_head=TINY['decode_head'])


def _main_state(model):
    return {
        k: v for k, v in model.state_dict().items() if k.startswith(('backbone.', 'decode_head.'))
    }


@pytest.mark.parametrize('mode', ['frozen', 'ema'])
def test_support_net_gets_no_gradient(mode):
    torch.manual_seed(0)
    model = build(support_mode=mode).train()
    assert not model.support_net.training and model.decode_head.training
    before = {k: v.clone() for k, v in model.support_net.state_dict().items()}
    x, samples = batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_rcm', 'loss_mam'}
    assert all(torch.isfinite(v) and v.requires_grad for v in losses.values())
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    sum(losses.values()).backward()
    assert all(not p.requires_grad and p.grad is None for p in model.support_net.parameters())
    assert all(p.grad is not None for p in model.rcm.parameters())
    assert model.decode_head.conv_cls.weight.grad is not None
    assert model.backbone.features[0].weight.grad.abs().sum() > 0
    optim.step()
    after = model.support_net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert int(model.num_train_steps) == 1


def test_shared_mode_uses_main_net_only():
    model = build(support_mode='shared').train()
    assert model.support_net is None
    n_cam = sum(p.numel() for p in MODELS.build(CAM).parameters())
    assert sum(p.numel() for p in model.parameters()) == n_cam + sum(
        p.numel() for p in model.rcm.parameters()
    )
    losses = model.loss(*batch())
    sum(losses.values()).backward()
    assert model.backbone.features[0].weight.grad is not None
    # the targets carry no gradient: only MainNet's own pass is differentiated
    x, samples = batch()
    support = model._support_outputs(x, model.decode_head.stack_labels(samples), (3, 3))
    assert not support['feat'].requires_grad
    assert not any(m.requires_grad for m in support['mam_maps'])


def test_frozen_support_loads_the_stage1_checkpoint(tmp_path):
    torch.manual_seed(0)
    cam = MODELS.build(CAM)
    cam.init_weights()
    path = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=cam.state_dict(), meta=dict(epoch=1)), path)
    model = build(support_mode='frozen', support_checkpoint=path)
    model.init_weights()
    for key, value in cam.state_dict().items():
        assert torch.equal(model.support_net.state_dict()[key], value)
    assert not torch.equal(model.decode_head.conv_cls.weight, cam.decode_head.conv_cls.weight)
    also_main = build(support_mode='frozen', support_checkpoint=path, init_main_from_support=True)
    also_main.init_weights()
    assert torch.equal(also_main.decode_head.conv_cls.weight, cam.decode_head.conv_cls.weight)

    with pytest.raises(ValueError, match='support_checkpoint'):
        build(support_mode='frozen').init_weights()
    other = dict(TINY['decode_head'], channels=4)
    torch.save(
        dict(
            state_dict=MODELS.build(
                dict(type='CAMClassifier', backbone=TINY['backbone'], decode_head=other)
            ).state_dict()
        ),
        path,
    )
    with pytest.raises(RuntimeError, match='size mismatch'):
        build(support_mode='frozen', support_checkpoint=path).init_weights()
    torch.save(dict(state_dict={'neck.w': torch.zeros(1)}), path)
    with pytest.raises(KeyError, match='no backbone'):
        build(support_mode='frozen', support_checkpoint=path).init_weights()


def test_checkpoints_of_the_old_layout_load(tmp_path):
    """Written when the heads were saved as ``head.*`` and ``support_net.head.*``."""
    torch.manual_seed(0)
    cam = MODELS.build(CAM)
    path = str(tmp_path / 'cam_old.pth')
    torch.save(
        dict(
            state_dict={
                k.replace('decode_head.', 'head.', 1): v for k, v in cam.state_dict().items()
            }
        ),
        path,
    )
    model = build(support_mode='frozen', support_checkpoint=path)
    model.init_weights()  # the support checkpoint, read with load_cam_weights
    for key, value in cam.state_dict().items():
        assert torch.equal(model.support_net.state_dict()[key], value)
    # a whole MainSupportCAMClassifier checkpoint of the old layout
    state = model.state_dict()
    old = {k.replace('decode_head.', 'head.', 1): v for k, v in state.items()}
    assert any(k.startswith('support_net.head.') for k in old)
    other = build(support_mode='frozen', support_checkpoint=path)
    other.load_state_dict(old, strict=True)
    for key, value in state.items():
        assert torch.equal(other.state_dict()[key], value)
    # support_net configs may still call the head `head`
    legacy = build(support_net=dict(backbone=TINY['backbone'], head=TINY['decode_head']))
    assert set(legacy.support_net) == {'backbone', 'decode_head'}


def test_ema_starts_as_main_and_follows_its_formula():
    model = build(support_mode='ema', ema_momentum=0.9)
    model.init_weights()
    main = _main_state(model)
    support = model.support_net.state_dict()
    assert all(torch.equal(support[k], main[k]) for k in main)
    old = {k: v.clone() for k, v in support.items()}
    with torch.no_grad():
        for p in list(model.backbone.parameters()) + list(model.decode_head.parameters()):
            p.add_(torch.randn_like(p))
    new = _main_state(model)
    model.update_support_net()
    for k, v in model.support_net.state_dict().items():
        assert torch.allclose(v, 0.9 * old[k] + 0.1 * new[k])
    model.update_support_net(momentum=0.0)
    assert all(torch.equal(model.support_net.state_dict()[k], new[k]) for k in new)
    with pytest.raises(RuntimeError, match='ema'):
        build(support_mode='frozen').update_support_net()


def test_ema_update_function():
    t = [('a', torch.tensor([1.0, 2.0])), ('n', torch.tensor([3]))]
    s = [('a', torch.tensor([3.0, 6.0])), ('n', torch.tensor([7]))]
    assert ema_update_(t, s, 0.75) == 2
    assert torch.allclose(t[0][1], torch.tensor([1.5, 3.0])) and t[1][1].item() == 7
    with pytest.raises(ValueError, match='differ'):
        ema_update_([('a', torch.zeros(1))], [('b', torch.zeros(1))], 0.5)
    with pytest.raises(ValueError, match='momentum'):
        ema_update_(t, s, 1.5)


def test_ema_hook_updates_every_interval():
    model = build(support_mode='ema', ema_momentum=0.0)
    runner = SimpleNamespace(model=model, iter=0)
    hook = SupportNetEMAHook(interval=2)
    hook.before_train(runner)
    with torch.no_grad():
        model.decode_head.conv_cls.weight.add_(1.0)
    hook.after_train_iter(runner, 0)  # iteration 1 of 2: nothing yet
    support_cls = model.support_net['decode_head'].conv_cls
    assert not torch.equal(support_cls.weight, model.decode_head.conv_cls.weight)
    runner.iter = 1
    hook.after_train_iter(runner, 1)
    assert torch.equal(support_cls.weight, model.decode_head.conv_cls.weight)
    with pytest.raises(TypeError, match='ema'):
        hook.before_train(SimpleNamespace(model=build(support_mode='frozen')))
    with pytest.raises(ValueError):
        SupportNetEMAHook(interval=0)


def test_maps_and_predictions_are_main_nets():
    torch.manual_seed(0)
    model = build(support_mode='frozen').eval()
    cam = MODELS.build(CAM)
    cam.load_state_dict(_main_state(model))
    cam.eval()
    x, samples = batch(size=24)
    maps, scores = model.localization_maps(x, (20, 20))
    ref_maps, ref_scores = cam.localization_maps(x, (20, 20))
    assert maps.shape == (2, NUM_FG, 20, 20)
    assert torch.allclose(maps, ref_maps) and torch.allclose(scores, ref_scores)
    with torch.no_grad():
        model.support_net['decode_head'].conv_cls.weight.add_(1.0)  # SupportNet plays no part
    assert torch.allclose(model.localization_maps(x, (20, 20))[0], ref_maps)
    out = model.predict(x, samples)
    assert out[0].seg_logits.data.shape == (NUM_FG + 1, 24, 24)
    assert out[0].pred_sem_seg.data.shape == (1, 24, 24) and out[0].pred_score.shape == (NUM_FG,)
    assert out[0].seg_logits.data[2].abs().sum() == 0  # class 2 is absent from the labels
    assert model(x, mode='tensor').shape == (2, NUM_FG, 3, 3)


def test_warmup_ramps_the_self_supervision_losses():
    torch.manual_seed(0)
    model = build(support_mode='shared', warmup_iters=4).eval()
    x, samples = batch()
    first = model.loss(x, samples)
    model.num_train_steps.fill_(10)
    full = model.loss(x, samples)
    assert torch.allclose(first['loss_cls'], full['loss_cls'])
    assert torch.allclose(first['loss_rcm'] * 4, full['loss_rcm'])
    assert torch.allclose(first['loss_mam'] * 4, full['loss_mam'])


@pytest.mark.parametrize(
    'kwargs, error',
    [
        (dict(support_mode='teacher'), 'support_mode'),
        (
            dict(
                support_mode='ema',
                support_net=dict(backbone=TINY['backbone'], decode_head=TINY['decode_head']),
            ),
            'support_net',
        ),
        (dict(support_mode='shared', init_main_from_support=True), 'init_main_from_support'),
        (dict(ema_momentum=2.0), 'ema_momentum'),
        (dict(warmup_iters=-1), 'warmup_iters'),
        (dict(support_net=dict(backbone=TINY['backbone'])), 'exactly backbone and decode_head'),
        (
            dict(
                support_net=dict(
                    backbone=TINY['backbone'], decode_head=dict(TINY['decode_head'], num_classes=2)
                )
            ),
            'classes',
        ),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises((ValueError, KeyError), match=error):
        build(**kwargs)
