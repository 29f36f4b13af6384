# Copyright (c) mmwsss contributors. All rights reserved.
import filecmp
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets import (
    generate_pretrain_set,
    generate_synthetic_benchmark,
    make_sample,
    read_cls_label_file,
    sample_rng,
)
from mmwsss.datasets.synthetic import (
    SYNTHETIC_BENCHMARK,
    benchmark_classes,
    difficulty_params,
    resolve_difficulty,
)

SMALL = dict(num_train=12, num_val=4, num_object_classes=5, image_size=48, seed=3)


def tree(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_layout(tmp_path):
    out = str(tmp_path / 'syn')
    meta = generate_synthetic_benchmark(out, write_parts=True, **SMALL)
    for folder in ('JPEGImages', 'SegmentationClass', 'SaliencyMap', 'PartMask'):
        assert len(os.listdir(osp.join(out, folder))) == 16
    with open(osp.join(out, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        train_ids = f.read().split()
    with open(osp.join(out, 'ImageSets', 'Segmentation', 'val.txt')) as f:
        val_ids = f.read().split()
    assert len(train_ids) == 12 and len(val_ids) == 4 and not set(train_ids) & set(val_ids)
    with open(osp.join(out, 'meta.json')) as f:
        assert json.load(f) == meta
    assert meta['classes'][0] == 'background' and len(meta['classes']) == 6 == meta['num_classes']
    assert len(meta['palette']) == 6 and meta['img_suffix'] == '.png'

    labels = read_cls_label_file(
        osp.join(out, 'cls_labels.txt'), meta['num_classes'], allow_empty=False
    )
    assert sorted(labels) == sorted(train_ids + val_ids)
    img_id = train_ids[0]
    img = Image.open(osp.join(out, 'JPEGImages', img_id + '.png'))
    mask = Image.open(osp.join(out, 'SegmentationClass', img_id + '.png'))
    sal = Image.open(osp.join(out, 'SaliencyMap', img_id + '.png'))
    assert img.mode == 'RGB' and img.size == (48, 48)
    assert mask.mode == 'P' and sal.mode == 'L'
    assert mask.getpalette()[3:6] == meta['palette'][1]
    for i in train_ids + val_ids:  # the label file is exactly what the masks hold
        m = np.array(Image.open(osp.join(out, 'SegmentationClass', i + '.png')))
        assert sorted(set(np.unique(m).tolist()) - {0}) == labels[i]
        part = np.array(Image.open(osp.join(out, 'PartMask', i + '.png')))
        assert np.all((part == 0) | (part == m))  # parts lie on their own object


def test_deterministic(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    generate_synthetic_benchmark(a, **SMALL)
    generate_synthetic_benchmark(b, **SMALL)
    generate_synthetic_benchmark(c, **dict(SMALL, seed=4))
    files = tree(a)
    assert files == tree(b) and len(files) == 4 * 16 + 4  # images, masks, saliency, parts
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors
    _, mismatch, _ = filecmp.cmpfiles(
        a, c, [f for f in files if f.startswith('JPEGImages')], shallow=False
    )
    assert len(mismatch) == 16  # another seed, other images


def test_objects_large_next_to_parts_and_saliency_imperfect():
    fractions, ious, n_objects = [], [], []
    for i in range(60):
        s = make_sample(sample_rng(0, 'train', i), 4, 64, 'medium')
        fg = s.mask > 0
        fractions.append((s.part_mask > 0).sum() / fg.sum())
        sal = s.saliency > 127
        ious.append((sal & fg).sum() / (sal | fg).sum())
        n_objects.append(len(np.unique(s.mask)) - 1)
        assert s.image.shape == (64, 64, 3) and s.image.dtype == np.uint8
        assert s.labels == sorted(set(np.unique(s.mask).tolist()) - {0})
    assert 0.07 <= np.mean(fractions) <= 0.18  # the part is a small share of the object
    assert 0.6 <= np.mean(ious) <= 0.95  # saliency is informative but not the ground truth
    assert np.mean(np.array(ious) > 0.99) < 0.5
    assert set(n_objects) >= {1, 2}


def test_difficulty():
    assert resolve_difficulty('hard') == 0.8 and resolve_difficulty(0.3) == 0.3
    easy, hard = difficulty_params('easy'), difficulty_params('hard')
    assert hard.clutter > easy.clutter and hard.body_tint < easy.body_tint
    assert hard.sal_false_alarm > easy.sal_false_alarm
    with pytest.raises(ValueError, match='difficulty'):
        resolve_difficulty('extreme')
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        resolve_difficulty(1.5)
    with pytest.raises(ValueError, match='num_object_classes'):
        benchmark_classes(1)


def test_pretrain_set_is_separate(tmp_path):
    out = str(tmp_path / 'pre')
    meta = generate_pretrain_set(out, num_train=10, num_val=2, num_object_classes=6, image_size=48)
    bench = [c.name for c in benchmark_classes(6)]
    assert meta['task'] == 'pretrain' and len(meta['classes']) == 7
    assert not set(meta['classes'][1:]) & set(bench)
    assert 'ring' in meta['classes']
    labels = read_cls_label_file(osp.join(out, 'cls_labels.txt'), 7, allow_empty=False)
    assert len(labels) == 12


def test_cli(tmp_path, capsys):
    path = osp.join(
        osp.dirname(__file__),
        '..',
        '..',
        'tools',
        'dataset_converters',
        'make_synthetic_benchmark.py',
    )
    spec = importlib.util.spec_from_file_location('_make_synthetic_benchmark', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'cli')
    assert (
        tool.main(
            [
                out,
                '--num-train',
                '6',
                '--num-val',
                '2',
                '--num-classes',
                '3',
                '--image-size',
                '40',
                '--difficulty',
                'hard',
                '--seed',
                '7',
            ]
        )
        == 0
    )
    assert 'wrote 6 train + 2 val images' in capsys.readouterr().out
    with open(osp.join(out, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['num_object_classes'] == 3 and meta['difficulty'] == 0.8 and meta['seed'] == 7
    assert (
        meta['cooccurrence'] == 'voc' and meta['max_objects'] == 4
    )  # the preset's, not overridden
    assert (
        tool.main([str(tmp_path / 'cli_pre'), '--pretrain', '--num-train', '4', '--num-val', '0'])
        == 0
    )
    with open(osp.join(tmp_path, 'cli_pre', 'meta.json')) as f:
        assert json.load(f)['seed'] == 101  # the demo's pretraining seed
    # no option: exactly the arguments `make demo` writes the benchmark with
    kwargs = tool.generator_kwargs(tool.parse_args(['out']))
    assert kwargs == dict(SYNTHETIC_BENCHMARK, seed=0, write_parts=True)
    kwargs = tool.generator_kwargs(
        tool.parse_args(['out', '--params', '{"body_size": [0.2, 0.3]}'])
    )
    assert kwargs['params'] == {'body_size': [0.2, 0.3]} and kwargs['image_size'] == 256
    with pytest.raises(SystemExit, match='WSSS benchmark only'):
        tool.generator_kwargs(tool.parse_args(['out', '--pretrain', '--cooccurrence', 'voc']))


def _part_distance(params):
    """Mean distance of a single object's part centroid from its centroid, over its size."""
    found = []
    for i in range(40):
        s = make_sample(sample_rng(5, 'train', i), 4, 96, 'medium', max_objects=1, params=params)
        obj, part = s.mask > 0, s.part_mask > 0
        oy, ox = np.nonzero(obj)
        py, px = np.nonzero(part)
        found.append(np.hypot(oy.mean() - py.mean(), ox.mean() - px.mean()) / np.sqrt(obj.sum()))
    return float(np.mean(found))


def test_elongated_bodies_with_parts_at_an_end():
    anywhere = _part_distance(dict(body_aspect=(0.35, 0.55)))
    at_end = _part_distance(dict(body_aspect=(0.35, 0.55), part_offset=(0.55, 0.75)))
    assert at_end > 1.5 * anywhere  # the part sits towards an end of the major axis
    with pytest.raises(ValueError, match='part_offset must be a'):
        make_sample(sample_rng(0, 'train', 0), params=dict(part_offset=(0.8, 0.2)))
    with pytest.raises(ValueError, match='unknown generator parameters'):
        make_sample(sample_rng(0, 'train', 0), params=dict(head_size=1))


def test_voc_cooccurrence_matches_vocs_class_counts():
    counts = np.zeros(5)
    for i in range(400):
        s = make_sample(
            sample_rng(2, 'train', i), 4, 48, 'medium', max_objects=4, cooccurrence='voc'
        )
        counts[len(s.labels)] += 1
    share = counts[1:] / counts[1:].sum()
    # VOC 2012 train_aug: 63.7 / 27.3 / 7.3 / 1.6 % of images show 1 / 2 / 3 / 4+ classes (an
    # object that does not fit is dropped, which moves a few images one class down)
    assert abs(share[0] - 0.637) < 0.08 and abs(share[1] - 0.273) < 0.07
    assert share[2] < 0.12 and share[3] < 0.04
