# Copyright (c) mmwsss contributors. All rights reserved.
"""Maps and pseudo labels under bf16 autocast against fp32, on a briefly trained classifier."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from generation_helpers import GEN_PIPELINE, NUM_FG, SCALES, tiny_model_cfg

import mmwsss.engine.runner.pseudo_label_loop as loop_module
import mmwsss.utils.precision as precision
from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.datasets.stage_files import load_label_png, load_maps
from mmwsss.engine import PseudoLabelLoop
from mmwsss.registry import DATASETS, MODELS

NUM_TRAIN = 24


@pytest.fixture
def bf16_cpu(monkeypatch):
    # where the CPU lacks native bf16, oneDNN emulates it: same numbers, only slower
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: True)


def _trained_model(root: str) -> torch.nn.Module:
    """The tiny DRS classifier after 60 SGD steps on the images (a trained model's map shapes)."""
    cfg = tiny_model_cfg()
    cfg['backbone']['widen_factor'] = 0.125
    cfg['decode_head'].update(in_channels=64, channels=16)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    dataset = DATASETS.build(
        dict(
            type='SyntheticWSSSDataset',
            data_root=root,
            data_prefix=dict(img_path='JPEGImages'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadImageLevelLabels'),
                dict(type='Resize', scale=(48, 48), keep_ratio=False),
                dict(type='PackWSSSInputs'),
            ],
        )
    )
    batch = [dataset[i] for i in range(len(dataset))]
    data = model.data_preprocessor(
        dict(inputs=[b['inputs'] for b in batch], data_samples=[b['data_samples'] for b in batch]),
        False,
    )
    images = data['inputs']
    labels = model.decode_head.stack_labels(data['data_samples'])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(60):
        loss = F.multilabel_soft_margin_loss(model.decode_head.pool(model._forward(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def test_bf16_maps_and_labels_agree_with_fp32(tmp_path, bf16_cpu, monkeypatch, make_runner):
    root = str(tmp_path / 'syn')
    generate_synthetic_benchmark(
        root, num_train=NUM_TRAIN, num_val=0, num_object_classes=NUM_FG, image_size=40, seed=3
    )
    model = _trained_model(root)
    chosen = []
    monkeypatch.setattr(
        loop_module,
        'channels_last_model',
        lambda m, enabled: chosen.append(enabled) or precision.channels_last_model(m, enabled),
    )
    outs = {}
    for name in ('fp32', 'auto'):
        out = tmp_path / name
        gen = PseudoLabelLoop(
            make_runner(model),
            dict(type='SyntheticWSSSDataset', data_root=root, pipeline=GEN_PIPELINE),
            str(out),
            scales=SCALES,
            batch_size=8,
            precision=name,
            evaluate=False,
        )
        gen.run()
        outs[name] = gen
    assert outs['fp32'].used_precision == 'fp32' and outs['auto'].used_precision == 'bf16'
    assert chosen == [False, True]  # channels_last goes with bf16 on the CPU
    assert next(model.parameters()).is_contiguous()  # and is undone afterwards

    diffs, equal, total = [], 0, 0
    for index in range(NUM_TRAIN):
        maps32, labels32 = load_maps(outs['fp32'].map_path(index))
        maps16, labels16 = load_maps(outs['auto'].map_path(index))
        assert labels32.tolist() == labels16.tolist()
        diffs.append(np.abs(maps32.astype(int) - maps16.astype(int)).ravel())
        label32 = load_label_png(outs['fp32'].label_path(index))
        label16 = load_label_png(outs['auto'].label_path(index))
        equal += int((label32 == label16).sum())
        total += label32.size
    diff = np.concatenate(diffs)
    assert diff.any(), 'bf16 gave the very same bytes: was autocast on?'
    assert diff.mean() <= 2.0, f'mean |bf16 - fp32| of the stored maps is {diff.mean():.2f}/255'
    assert equal / total >= 0.995, f'only {100 * equal / total:.2f}% of label pixels agree'


def test_an_unsupported_precision_is_refused_before_any_file(
    tmp_path, data_root, model, make_runner, monkeypatch
):
    monkeypatch.setattr(precision, 'cpu_bf16_supported', lambda: False)
    out = tmp_path / 'out'
    gen = PseudoLabelLoop(
        make_runner(model),
        dict(type='SyntheticWSSSDataset', data_root=data_root, pipeline=GEN_PIPELINE),
        str(out),
        scales=SCALES,
        precision='bf16',
    )
    with pytest.raises(ValueError, match="PseudoLabelLoop: precision 'bf16'.*no native bf16"):
        gen.run()
    assert not list((out / 'maps').iterdir()) and not list((out / 'labels').iterdir())
    with pytest.raises(ValueError, match='precision must be one of'):
        PseudoLabelLoop(
            None, dict(type='SyntheticWSSSDataset', data_root=data_root), str(out), precision='half'
        )
