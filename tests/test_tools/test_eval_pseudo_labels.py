# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/analysis_tools/eval_pseudo_labels.py: every supported layout gives the same scores, the
scores are the ones counted by hand, and bad folders are refused by name."""

import importlib.util
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.datasets.stage_files import full_palette, save_label_png, save_maps

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_pseudo_labels.py')
NUM_CLASSES = 5  # the synthetic benchmark: background + 4


def _tool():
    spec = importlib.util.spec_from_file_location('eval_pseudo_labels_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn'))
    generate_synthetic_benchmark(
        root, num_train=4, num_val=2, num_object_classes=4, image_size=32, seed=3
    )
    gts = {}
    for line in open(osp.join(root, 'ImageSets/Segmentation/train.txt')):
        img_id = line.strip()
        gts[img_id] = np.array(Image.open(osp.join(root, 'SegmentationClass', img_id + '.png')))
    return root, gts


def _maps(gt):
    """Per present class: 0.8 on its GT pixels, 0.3 on a 4x4 background corner patch."""
    classes = [c for c in np.unique(gt) if 0 < c < 255]
    maps = np.zeros((len(classes),) + gt.shape, np.float32)
    for i, c in enumerate(classes):
        maps[i][gt == c] = 0.8
        corner = np.zeros(gt.shape, bool)
        corner[:4, :4] = True
        maps[i][corner & (gt == 0)] = np.maximum(maps[i][corner & (gt == 0)], 0.3)
    return classes, maps


def _write(tmp_path, gts, layout):
    out = tmp_path / layout
    out.mkdir()
    for img_id, gt in gts.items():
        classes, maps = _maps(gt)
        path = str(out / img_id)
        if layout == 'npz':
            save_maps(path + '.npz', np.rint(maps * 255).astype(np.uint8), classes)
        elif layout == 'irn':  # keys: foreground indices from 0, a torch tensor as IRN saves it
            np.save(
                path + '.npy',
                {'keys': torch.tensor(classes) - 1, 'cam': torch.zeros(1), 'high_res': maps},
            )
        elif layout == 'psa':
            np.save(path + '.npy', {int(c) - 1: m for c, m in zip(classes, maps)})
        elif layout in ('fg', 'all'):
            full = np.zeros((NUM_CLASSES,) + gt.shape, np.float32)
            full[classes] = maps
            full[0] = 0.5  # a background channel, dropped
            np.save(path + '.npy', full[1:] if layout == 'fg' else full)
    return str(out)


def _expected(gts, threshold):
    """mIoU of the threshold rule, counted here from the construction."""
    inter = np.zeros(NUM_CLASSES)
    union = np.zeros(NUM_CLASSES)
    for gt in gts.values():
        classes, maps = _maps(gt)
        full = np.zeros((NUM_CLASSES,) + gt.shape, np.float32)
        full[classes] = maps
        best = full[1:].max(axis=0)
        pred = np.where(best > threshold, full[1:].argmax(axis=0) + 1, 0)
        for c in range(NUM_CLASSES):
            inter[c] += ((pred == c) & (gt == c)).sum()
            union[c] += ((pred == c) | (gt == c)).sum()
    present = union > 0
    return 100 * (inter[present] / union[present]).mean()


@pytest.mark.parametrize('layout', ['npz', 'irn', 'psa', 'fg', 'all'])
def test_every_layout_gives_the_counted_scores(data, tmp_path, layout):
    root, gts = data
    tool = _tool()
    pred_dir = _write(tmp_path, gts, layout)
    out = tmp_path / 'out'
    res = tool.evaluate(
        root,
        pred_dir,
        ids_file=osp.join(root, 'ImageSets/Segmentation/train.txt'),
        thresholds=[0.1, 0.5],
        allow_pickle=True,
        out_dir=str(out),
    )
    assert res['num_images'] == len(gts)
    sweep = res['sweep']
    # at 0.1 the 0.3 corner patches are labelled, at 0.5 only the objects: perfect
    assert sweep['mIoU@0.10'] == pytest.approx(_expected(gts, 0.1), abs=1e-6)
    assert sweep['mIoU@0.50'] == pytest.approx(100.0)
    assert sweep['mIoU@0.10'] < 99
    assert sweep['best_threshold'] == 0.5 and res['bg_threshold'] == 0.5
    assert 'best_partRecall' in sweep  # PartMask/ of the synthetic root is found
    assert res['labels']['mIoU'] == pytest.approx(100.0)
    assert res['labels']['ignore_ratio'] == 0
    confusion = np.array(res['confusion'])
    assert confusion.shape == (NUM_CLASSES, NUM_CLASSES + 1)
    assert confusion.sum() == sum(g.size for g in gts.values())
    assert confusion.sum() == np.trace(confusion[:, :NUM_CLASSES])  # perfect at 0.5
    with Image.open(out / 'confusion_matrix.png') as img:
        assert img.size[0] > 200
    saved = json.loads((out / 'metrics.json').read_text())
    assert saved['sweep']['mIoU@0.10'] == pytest.approx(sweep['mIoU@0.10'])
    # a fixed threshold instead of the best one
    res = tool.evaluate(root, pred_dir, thresholds=[0.1, 0.5], bg_threshold=0.1, allow_pickle=True)
    assert res['labels']['mIoU'] == pytest.approx(_expected(gts, 0.1), abs=1e-6)


def test_label_pngs_count_unlabelled_pixels(data, tmp_path):
    root, gts = data
    tool = _tool()
    pred_dir = tmp_path / 'labels'
    pred_dir.mkdir()
    hidden = labelled_obj = obj = 0
    for img_id, gt in gts.items():
        label = gt.copy()
        label[:, :8][gt[:, :8] > 0] = 255  # unlabel the objects' left columns
        save_label_png(str(pred_dir / f'{img_id}.png'), label, full_palette(None))
        hidden += (label == 255).sum()
        obj += (gt > 0).sum()
        labelled_obj += ((gt > 0) & (label != 255)).sum()
    res = tool.evaluate(root, str(pred_dir), out_dir=str(tmp_path / 'o'))
    lab = res['labels']
    total = sum(g.size for g in gts.values())
    assert 'sweep' not in res and res['format'] == 'png'
    assert lab['mIoU'] == pytest.approx(100.0)  # over labelled pixels: no mistake
    assert lab['mIoU_strict'] < 100
    assert lab['mPrecision'] == pytest.approx(100.0)
    assert lab['ignore_ratio'] == pytest.approx(100 * hidden / total)
    confusion = np.array(res['confusion'])
    assert confusion[1:, NUM_CLASSES].sum() == hidden  # the "unlabelled" column
    assert confusion[1:, 1:NUM_CLASSES].trace() == labelled_obj


def test_crf(data, tmp_path, monkeypatch):
    root, gts = data
    tool = _tool()
    pred_dir = _write(tmp_path, gts, 'npz')
    res = tool.evaluate(root, pred_dir, thresholds=[0.5], crf=True)
    assert res['crf'] and res['labels']['mIoU'] > 50
    with pytest.raises(tool.InputError, match='needs maps'):
        png_dir = tmp_path / 'png'
        png_dir.mkdir()
        save_label_png(str(png_dir / 'x.png'), np.zeros((32, 32), np.uint8), full_palette(None))
        tool.evaluate(root, str(png_dir), crf=True)
    import mmwsss.models.utils.dense_crf as dense_crf

    def missing():
        raise ImportError('dense CRF needs pydensecrf (the "pydensecrf2" package)')

    monkeypatch.setattr(dense_crf, 'import_pydensecrf', missing)
    with pytest.raises(tool.InputError, match='pydensecrf2'):
        tool.evaluate(root, pred_dir, crf=True)


def test_saliency_rule(data, tmp_path):
    """--saliency: the DRS rule on the stored maps and the saliency maps, with and without CRF."""
    from mmwsss.pseudo_labels import fuse_with_saliency

    root, gts = data
    tool = _tool()
    pred_dir = _write(tmp_path, gts, 'npz')
    res = tool.evaluate(root, pred_dir, saliency=True)
    assert res['rule'] == 'saliency' and not res['crf']
    expected = np.zeros((NUM_CLASSES, NUM_CLASSES + 1), np.int64)
    for img_id, gt in gts.items():
        scores = tool.load_scores(osp.join(pred_dir, img_id + '.npz'), 'npz', NUM_CLASSES, gt.shape)
        saliency = np.array(Image.open(osp.join(root, 'SaliencyMap', img_id + '.png')))
        pred = fuse_with_saliency(scores[1:], saliency, cls_labels=_maps(gt)[0])
        expected += tool.confusion_counts(pred, gt, NUM_CLASSES)
    assert res['confusion'] == expected.tolist()
    assert np.array(res['confusion'])[:, NUM_CLASSES].sum() > 0  # the rule's ignore regions
    with_crf = tool.evaluate(root, pred_dir, saliency=True, crf=True)
    assert with_crf['crf'] and with_crf['rule'] == 'saliency'
    assert with_crf['confusion'] != res['confusion']
    with pytest.raises(tool.InputError, match='--saliency needs the saliency maps: .*nowhere'):
        tool.evaluate(root, pred_dir, saliency=True, sal_dir=str(tmp_path / 'nowhere'))


def test_refuses_bad_folders(data, tmp_path):
    root, gts = data
    tool = _tool()
    ids = sorted(gts)
    psa = _write(tmp_path, gts, 'psa')
    with pytest.raises(tool.InputError, match='--allow-pickle'):
        tool.evaluate(root, psa)
    bad = tmp_path / 'bad'
    bad.mkdir()
    np.save(bad / f'{ids[0]}.npy', np.zeros((3, 32, 32), np.float32))
    with pytest.raises(tool.InputError, match=r'has 3 channels; expected 4 .* or 5'):
        tool.evaluate(root, str(bad))
    np.save(bad / f'{ids[0]}.npy', np.zeros((4, 16, 32), np.float32))
    with pytest.raises(tool.InputError, match=r'is 32x16 \(WxH\) but its GT mask is 32x32'):
        tool.evaluate(root, str(bad))
    (bad / f'{ids[1]}.png').write_bytes(b'')
    with pytest.raises(tool.InputError, match='mixes npy, png'):
        tool.evaluate(root, str(bad))
    lonely = tmp_path / 'lonely'
    lonely.mkdir()
    np.save(lonely / 'not_an_image.npy', np.zeros((4, 32, 32), np.float32))
    with pytest.raises(tool.InputError, match='GT mask .*not_an_image.png does not exist'):
        tool.evaluate(
            root, str(lonely), cls_label_file=None, num_classes=NUM_CLASSES, thresholds=[0.5]
        )
    no_meta = tmp_path / 'gt_only'
    no_meta.mkdir()
    Image.fromarray(gts[ids[0]]).save(no_meta / f'{ids[0]}.png')
    with pytest.raises(tool.InputError, match='--dataset voc\\|coco or --num-classes'):
        tool.evaluate(str(no_meta), psa, allow_pickle=True)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(tool.InputError, match='no \\.npz, \\.npy or \\.png'):
        tool.evaluate(root, str(empty))


def test_command_line(data, tmp_path):
    root, gts = data
    pred_dir = _write(tmp_path, gts, 'npz')
    out = tmp_path / 'cli'
    proc = subprocess.run(
        [sys.executable, TOOL, root, pred_dir, '--thresholds', '0.1', '0.5', '--out-dir', str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'best mIoU 100.00 at threshold 0.50' in proc.stdout
    assert (out / 'confusion_matrix.png').is_file() and (out / 'metrics.json').is_file()
    proc = subprocess.run(
        [sys.executable, TOOL, root, str(tmp_path / 'nope')],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1 and 'nope is not a folder' in proc.stderr
    proc = subprocess.run(
        [sys.executable, TOOL, '--help'], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and '--allow-pickle' in proc.stdout
