# Copyright (c) mmwsss contributors. All rights reserved.
"""PseudoLabelLoop: the maps of the model's predictions and the pseudo labels, written per image,
resumably, atomically and in fixed batches; scored against the ground truth."""

import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from generation_helpers import NUM_FG, NUM_IMAGES, SCALES, build_tiny_model, dataset_cfg
from mmseg.datasets.transforms import LoadAnnotations
from PIL import Image

import mmwsss.datasets.stage_files as storage
from mmwsss.datasets.stage_files import (
    full_palette,
    load_label_png,
    load_maps,
    maps_to_uint8,
    uint8_to_maps,
)
from mmwsss.engine import PseudoLabelLoop
from mmwsss.pseudo_labels import generate_pseudo_label
from mmwsss.registry import DATASETS, LOOPS


@pytest.fixture
def run(make_runner):
    """``run(model, root, out_dir, **settings)``: build the loop around ``model`` and run it."""

    def run_loop(model, root, out_dir, saliency=True, **kwargs):
        loop = _loop(make_runner(model), root, out_dir, saliency, **kwargs)
        loop.run()
        return loop

    return run_loop


def _loop(runner, root, out_dir, saliency=True, **kwargs):
    kwargs.setdefault('scales', SCALES)
    # one image a model batch and fp32 unless a test says otherwise: the references below are
    # single-image fp32 forward passes (batching and bf16 have tests of their own)
    kwargs.setdefault('batch_size', 1)
    kwargs.setdefault('precision', 'fp32')
    return PseudoLabelLoop(runner, dataset_cfg(root, saliency), str(out_dir), **kwargs)


def _files(out_dir):
    """{relative path: bytes} of the maps and labels under out_dir (no temporary files)."""
    found = {}
    for sub in ('maps', 'labels'):
        folder = osp.join(out_dir, sub)
        if osp.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.startswith('.'):
                    continue  # temporary files
                with open(osp.join(folder, name), 'rb') as f:
                    found[f'{sub}/{name}'] = f.read()
    return found


def _mtimes(out_dir):
    return {rel: os.stat(osp.join(out_dir, rel)).st_mtime_ns for rel in _files(out_dir)}


def _count_images(model, maps_of=None):
    """Count the images ``model.localization_maps`` sees (optionally replacing its maps)."""
    seen = []
    inner = model.localization_maps

    def localization_maps(inputs, out_size=None, labels=None):
        seen.append(inputs.shape[0])
        return (maps_of or inner)(inputs, out_size, labels)

    model.localization_maps = localization_maps
    return seen


def test_is_registered_and_built_from_settings(make_runner, model, data_root, tmp_path):
    runner = make_runner(model)
    loop = LOOPS.build(
        dict(type='PseudoLabelLoop', dataset=dataset_cfg(data_root), out_dir='pl'),
        default_args=dict(runner=runner),
    )
    assert isinstance(loop, PseudoLabelLoop)
    assert loop.out_dir == osp.join(str(tmp_path / 'work'), 'pl')  # relative: in the work dir
    assert loop.maps_dir == osp.join(loop.out_dir, 'maps')


def test_writes_one_map_and_one_label_per_image(data_root, model, make_runner, tmp_path):
    out = tmp_path / 'out'
    gen = _loop(make_runner(model), data_root, out)
    metrics = gen.run()

    assert tuple(model.test_cfg.scales) == (1.0,)  # the override is undone
    assert len(gen.infos) == NUM_IMAGES
    palette = full_palette(gen.dataset.metainfo['palette'])
    peaks = []
    for index, info in enumerate(gen.infos):
        maps, labels = load_maps(gen.map_path(index))
        assert maps.dtype == np.uint8 and maps.shape == (len(info['cls_labels']), 40, 40)
        assert labels.dtype == np.int64 and labels.tolist() == info['cls_labels']
        # each class map is normalised to a maximum of 1 (an untrained class may stay all 0)
        assert all(peak == 0 or peak >= 250 for peak in maps.max(axis=(1, 2)))
        peaks.append(maps.max())
        with Image.open(gen.label_path(index)) as img:
            assert img.mode == 'P' and img.size == (40, 40)
            assert img.getpalette()[:768] == palette
            label = np.array(img)
        assert set(np.unique(label)) <= {0, 255, *info['cls_labels']}
        # MMSeg's LoadAnnotations (what a segmentation stage uses) reads the same indices
        loaded = LoadAnnotations()(
            dict(seg_map_path=gen.label_path(index), reduce_zero_label=False, seg_fields=[])
        )['gt_seg_map']
        np.testing.assert_array_equal(loaded, label)
        # the label is the DRS rule applied to the stored maps and the saliency map
        saliency = np.array(Image.open(info['sal_path']))
        dense = np.zeros((NUM_FG, 40, 40), np.float32)
        dense[labels - 1] = uint8_to_maps(maps)
        expected = generate_pseudo_label(dense, dict(mode='saliency'), saliency, info['cls_labels'])
        np.testing.assert_array_equal(label, expected)
    assert max(peaks) == 255

    # the maps are the model's multi-scale maps at the original size, masked by the labels
    item = gen.dataset.prepare_data(0)
    data = model.data_preprocessor(
        dict(inputs=[item['inputs']], data_samples=[item['data_samples']]), False
    )
    model.test_cfg.scales = SCALES
    try:
        onehot = torch.zeros(1, NUM_FG)
        onehot[0, [c - 1 for c in gen.infos[0]['cls_labels']]] = 1
        with torch.no_grad():
            ref, _ = model.localization_maps(data['inputs'], (40, 40), onehot)
    finally:
        model.test_cfg.scales = (1.0,)
    stored, labels = load_maps(gen.map_path(0))
    np.testing.assert_array_equal(stored, maps_to_uint8(ref[0, labels - 1]))

    with open(out / 'metrics.json') as f:
        saved = json.load(f)
    assert saved['num_images'] == NUM_IMAGES and saved['num_scored'] == NUM_IMAGES
    assert saved['metrics'] == pytest.approx(metrics)
    for key in (
        'pseudo_label/mIoU',
        'pseudo_label/mPrecision',
        'pseudo_label/mRecall',
        'loc_map/mIoU',
        'loc_map/best_mIoU',
    ):
        assert 0 <= metrics[key] <= 100
    assert metrics['loc_map/mIoU'] == metrics['loc_map/mIoU@0.20']
    assert not [n for n in os.listdir(out / 'maps') if n.endswith('.tmp')]


def test_rerun_skips_finished_images_and_completes_partial_dirs(data_root, model, run, tmp_path):
    out = str(tmp_path / 'out')
    run(model, data_root, out)
    reference, mtimes = _files(out), _mtimes(out)

    seen = _count_images(model)
    run(model, data_root, out)
    assert sum(seen) == 0
    assert _mtimes(out) == mtimes

    os.remove(osp.join(out, 'maps', 'train_00001.npz'))  # needs the model
    os.remove(osp.join(out, 'labels', 'train_00002.png'))  # remade from the stored maps
    half = reference['labels/train_00003.png']
    with open(osp.join(out, 'labels', 'train_00003.png'), 'wb') as f:
        f.write(half[: len(half) // 2])  # a truncated file counts as missing
    with open(osp.join(out, 'maps', '.train_00004.npz.tmp'), 'wb') as f:
        f.write(b'junk of a killed writer')
    run(model, data_root, out)

    assert sum(seen) == 1
    assert _files(out) == reference
    after = _mtimes(out)
    for rel in ('maps/train_00000.npz', 'labels/train_00001.png', 'maps/train_00005.npz'):
        assert after[rel] == mtimes[rel]
    assert not osp.exists(osp.join(out, 'maps', '.train_00004.npz.tmp'))


class _Killed(BaseException):
    pass


def test_killed_run_restarts_to_identical_files(data_root, model, run, tmp_path, monkeypatch):
    ref_dir, out = str(tmp_path / 'ref'), str(tmp_path / 'out')
    run(model, data_root, ref_dir, batch_size=2)
    reference = _files(ref_dir)

    real_write = storage.atomic_write_bytes
    calls = []

    def dying_write(path, data):
        calls.append(path)
        if len(calls) == 5:  # mid-file: half the bytes in the temporary file, then the kill
            with open(storage.tmp_path_of(path), 'wb') as f:
                f.write(data[: len(data) // 2])
            raise _Killed()
        real_write(path, data)

    monkeypatch.setattr(storage, 'atomic_write_bytes', dying_write)
    with pytest.raises(_Killed):
        run(model, data_root, out, batch_size=2)
    partial = _files(out)
    assert len(partial) == 4 < len(reference)
    assert all(reference[rel] == data for rel, data in partial.items())  # no half file
    assert any(
        n.endswith('.tmp') for sub in ('maps', 'labels') for n in os.listdir(osp.join(out, sub))
    )

    monkeypatch.setattr(storage, 'atomic_write_bytes', real_write)
    run(model, data_root, out, batch_size=2)
    assert _files(out) == reference
    for sub in ('maps', 'labels'):
        assert not [n for n in os.listdir(osp.join(out, sub)) if n.startswith('.')]


def test_batched_generation_matches_one_by_one(data_root, model, run, tmp_path):
    run(model, data_root, tmp_path / 'one', batch_size=1, evaluate=False)
    run(model, data_root, tmp_path / 'many', batch_size=4, evaluate=False)
    one, many = _files(str(tmp_path / 'one')), _files(str(tmp_path / 'many'))
    assert one.keys() == many.keys() and len(one) == 2 * NUM_IMAGES
    for rel in one:
        if rel.startswith('maps/'):
            a = np.load(osp.join(tmp_path, 'one', rel))['maps'].astype(int)
            b = np.load(osp.join(tmp_path, 'many', rel))['maps'].astype(int)
            assert np.abs(a - b).max() <= 1


def test_threshold_mode_without_saliency_and_labels_only(data_root, model, make_runner, tmp_path):
    out = tmp_path / 'out'
    rule = dict(mode='threshold', bg_thr=0.3)
    gen = _loop(
        make_runner(model), data_root, out, saliency=False, save_maps=False, pseudo_label_cfg=rule
    )
    metrics = gen.run()
    assert not osp.exists(out / 'maps')
    assert sorted(metrics) == sorted(
        f'pseudo_label/{k}'
        for k in ('mIoU', 'mIoU_strict', 'mPrecision', 'mRecall', 'ignore_ratio')
    )
    for index, info in enumerate(gen.infos):
        label = load_label_png(gen.label_path(index))
        assert set(np.unique(label)) <= {0, *info['cls_labels']}  # no ignore rule configured
    assert any(np.any(load_label_png(gen.label_path(i)) > 0) for i in range(NUM_IMAGES))


def test_scores_against_gt_masks(data_root, model, run, tmp_path):
    out = tmp_path / 'out'
    gen = run(model, data_root, out)
    # labels equal to the GT masks score 100
    for index, info in enumerate(gen.infos):
        shutil.copyfile(info['seg_map_path'], gen.label_path(index))
    metrics = gen.score()
    assert metrics['pseudo_label/mIoU'] == pytest.approx(100)
    assert metrics['pseudo_label/mPrecision'] == pytest.approx(100)
    assert metrics['pseudo_label/ignore_ratio'] == 0


def test_no_gt_masks_means_no_scores(data_root, model, make_runner, tmp_path):
    cfg = dataset_cfg(data_root)
    cfg['data_prefix']['seg_map_path'] = None
    gen = PseudoLabelLoop(make_runner(model), cfg, str(tmp_path / 'out'), scales=SCALES)
    assert gen.run() == {}
    with open(tmp_path / 'out' / 'metrics.json') as f:
        assert json.load(f)['metrics'] == {}


# ---------------------------------------------------------------- errors, before any work
def test_unwritable_out_dir_is_refused_up_front(data_root, tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    gen = _loop(None, data_root, blocker / 'out')
    with pytest.raises(OSError, match='cannot write to the output folder .*a_file'):
        gen.prepare()


def test_saliency_mode_needs_saliency_maps(data_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'train_00000\.png.*sal_path'):
        _loop(None, data_root, tmp_path / 'o1', saliency=False).prepare()

    dataset = DATASETS.build(dataset_cfg(data_root))  # built while every file existed
    os.remove(osp.join(data_root, 'SaliencyMap', 'train_00002.png'))
    gen = PseudoLabelLoop(None, dataset, str(tmp_path / 'o2'))
    with pytest.raises(FileNotFoundError, match=r'SaliencyMap/train_00002\.png does not exist'):
        gen.prepare()
    shutil.rmtree(osp.join(data_root, 'SaliencyMap'))
    gen = PseudoLabelLoop(None, dataset, str(tmp_path / 'o3'))
    with pytest.raises(FileNotFoundError, match='saliency folder .*SaliencyMap does not exist'):
        gen.prepare()


def test_bad_settings_are_refused_up_front(data_root, model, tmp_path):
    with pytest.raises(ValueError, match='bg_thr'):
        _loop(None, data_root, tmp_path / 'o', pseudo_label_cfg=dict(mode='threshold')).prepare()
    with pytest.raises(ValueError, match='scales'):
        _loop(None, data_root, tmp_path / 'o', scales=(0, 320))
    with pytest.raises(ValueError, match='nothing to do'):
        _loop(None, data_root, tmp_path / 'o', save_maps=False, save_labels=False)
    with pytest.raises(KeyError, match='cls_label_file'):
        PseudoLabelLoop(
            None, dataset_cfg(data_root, cls_label_file=None), str(tmp_path / 'o')
        ).prepare()
    with pytest.raises(TypeError, match='localization_maps'):
        _loop(None, data_root, tmp_path / 'o').generate(torch.nn.Conv2d(3, 3, 1))


def test_model_with_other_classes_is_refused(data_root, make_runner, tmp_path):
    wrong = build_tiny_model(num_classes=NUM_FG + 2)
    with pytest.raises(ValueError, match='3 foreground classes'):
        _loop(make_runner(wrong), data_root, tmp_path / 'o').run()
    assert not os.listdir(tmp_path / 'o' / 'maps')


def _above_one(inputs, out_size=None, labels=None):
    """Maps of 1.5 everywhere (as a refinement output may give): above the stored range."""
    return (
        torch.full((inputs.shape[0], NUM_FG) + tuple(out_size), 1.5),
        torch.ones(inputs.shape[0], NUM_FG),
    )


def test_labels_from_raw_maps_let_a_class_above_one_beat_the_background(
    data_root, model, run, tmp_path
):
    labels = {}
    seen = _count_images(model, _above_one)
    for raw in (False, True):
        out = str(tmp_path / f'raw{raw}')
        gen = run(model, data_root, out, labels_from_raw_maps=raw)
        labels[raw] = [load_label_png(gen.label_path(i)) for i in range(NUM_IMAGES)]
        maps, _ = load_maps(gen.map_path(0))
        assert maps.max() == 255  # stored maps are clipped to [0, 1] either way
    checked = 0
    for index, info in enumerate(gen.infos):
        non_salient = gen.label_inputs(index)['saliency'] <= 50  # background score exactly 1 there
        single = len(info['cls_labels']) == 1
        if single and non_salient.any():
            checked += 1
            # clipped at 1 the class ties with the background and loses; raw (1.5) it wins
            assert (labels[False][index][non_salient] == 0).all()
            assert (labels[True][index][non_salient] == info['cls_labels'][0]).all()
    assert checked
    # a missing label is remade with its model batch, never from the clipped stored maps
    out = str(tmp_path / 'rawTrue')
    os.remove(osp.join(out, 'labels', 'train_00002.png'))
    seen.clear()
    run(model, data_root, out, labels_from_raw_maps=True)
    assert sum(seen) == 1
    assert np.array_equal(
        load_label_png(osp.join(out, 'labels', 'train_00002.png')), labels[True][2]
    )
