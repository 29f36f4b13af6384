# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch
from generation_helpers import build_tiny_model, tiny_model_cfg
from mmengine.config import Config

from mmwsss.apis import check_checkpoint_fits, init_model


def _save(model, path):
    torch.save(
        dict(
            meta=dict(dataset_meta=dict(classes=['bg', 'a', 'b', 'c'])),
            state_dict={'module.' + k: v for k, v in model.state_dict().items()},
        ),
        path,
    )


def test_init_model_loads_the_weights(tmp_path):
    source = build_tiny_model(seed=3)
    ckpt = str(tmp_path / 'ok.pth')
    _save(source, ckpt)  # DDP-style 'module.' keys are accepted
    model = init_model(Config(dict(model=tiny_model_cfg())), ckpt)
    assert not model.training
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)
    assert model.dataset_meta['classes'][1] == 'a'


def test_init_model_without_checkpoint_can_start_like_training():
    cfg = Config(dict(model=tiny_model_cfg()))
    built = init_model(cfg)
    started = init_model(cfg, init_weights=True)
    # DRSVGG's init_cfg (Kaiming, zero bias) ran only when asked; PyTorch's own init has biases
    assert torch.count_nonzero(built.backbone.features[0].bias) > 0
    assert torch.count_nonzero(started.backbone.features[0].bias) == 0
    assert not started.training


def test_checkpoint_that_does_not_fit_is_named_with_its_keys(tmp_path):
    other = build_tiny_model(num_classes=5, num_convs=2)
    ckpt = str(tmp_path / 'other.pth')
    _save(other, ckpt)
    with pytest.raises(RuntimeError) as info:
        init_model(Config(dict(model=tiny_model_cfg())), ckpt)
    message = str(info.value)
    assert 'other.pth' in message
    assert 'unexpected keys [decode_head.convs.2.weight' in message
    assert 'shape mismatches' in message and 'decode_head.conv_cls.weight' in message

    model = build_tiny_model()
    state = model.state_dict()
    state.pop('decode_head.conv_cls.bias')
    with pytest.raises(RuntimeError, match=r'1 missing keys \[decode_head.conv_cls.bias\]'):
        check_checkpoint_fits(model, dict(state_dict=state), 'x.pth', 'cfg.py')
    check_checkpoint_fits(model, model.state_dict(), 'x.pth')  # fits: no error


def test_mmengine_checkpoint_loads_in_a_fresh_process(tmp_path, monkeypatch):
    # a training checkpoint pickles getattr(HistoryBuffer, 'min'/...), and HistoryBuffer registers
    # those names only once a first buffer exists: a fresh tool process has none
    from mmengine.logging import MessageHub
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint

    hub = MessageHub(name='fresh_process_hub')
    hub.update_scalar('train/loss', 1.0)
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict={}, message_hub=hub.state_dict()), path)
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    assert _load_checkpoint(path)['message_hub']['log_scalars']['train/loss'].current() == 1.0


def test_preprocessed_batches_keep_the_order_and_stop_at_num():
    from mmseg.structures import SegDataSample

    from mmwsss.apis import preprocessed_batches

    model = build_tiny_model()
    dataset = [
        dict(inputs=torch.full((3, 8, 8), float(i)), data_samples=SegDataSample(metainfo=dict(i=i)))
        for i in range(7)
    ]
    batches = list(preprocessed_batches(model, dataset, num=5, batch_size=2))
    assert [inputs.shape[0] for inputs, _ in batches] == [2, 2, 1]
    assert [s.metainfo['i'] for _, samples in batches for s in samples] == [0, 1, 2, 3, 4]
