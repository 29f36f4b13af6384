# Copyright (c) mmwsss contributors. All rights reserved.
"""A custom dataset end to end: folder + CSV -> folder_cls_labels.py -> the config of
docs/custom_dataset.md -> pipelines, one training step, pseudo labels in threshold mode, scoring,
browse_dataset.py."""

import csv
import importlib.util
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.engine import PseudoLabelLoop
from mmwsss.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(ROOT, 'tools', 'dataset_converters', 'folder_cls_labels.py')
BROWSER = osp.join(ROOT, 'tools', 'analysis_tools', 'browse_dataset.py')
EVALUATOR = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_pseudo_labels.py')
DOC = osp.join(ROOT, 'docs', 'custom_dataset.md')


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def pets(tmp_path_factory):
    """A user's folder: images/ with their own names, masks/, saliency/, labels.csv (list form)."""
    src = str(tmp_path_factory.mktemp('src'))
    generate_synthetic_benchmark(
        src, num_train=8, num_val=0, num_object_classes=3, image_size=32, seed=5
    )
    with open(osp.join(src, 'meta.json')) as f:
        names = json.load(f)['classes'][1:]
    with open(osp.join(src, 'cls_labels.txt')) as f:
        truth = {line.split()[0]: [int(t) for t in line.split()[1:]] for line in f}
    root = tmp_path_factory.mktemp('pets')
    for sub in ('images', 'masks', 'saliency'):
        (root / sub).mkdir()
    rows = []
    for k, (img_id, labels) in enumerate(sorted(truth.items())):
        new = f'photo_{k:03d}'
        shutil.copy(osp.join(src, 'JPEGImages', img_id + '.png'), root / 'images' / f'{new}.png')
        shutil.copy(
            osp.join(src, 'SegmentationClass', img_id + '.png'), root / 'masks' / f'{new}.png'
        )
        shutil.copy(osp.join(src, 'SaliencyMap', img_id + '.png'), root / 'saliency' / f'{new}.png')
        rows.append((new + '.png', ';'.join(names[c - 1] for c in labels), labels))
    with open(root / 'labels.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['image', 'labels'])
        for name, cell, _ in rows:
            writer.writerow([name, cell])
    return str(root), names, {r[0][:-4]: r[2] for r in rows}


def test_converter_writes_the_dataset(pets, tmp_path):
    root, names, truth = pets
    tool = _load(CONVERTER, 'folder_cls_labels_tool')
    res = tool.make_folder_dataset(
        osp.join(root, 'images'),
        osp.join(root, 'labels.csv'),
        classes=names,
        val_ratio=0.25,
        seed=0,
    )
    assert res['classes'] == ['background'] + names and res['num_images'] == 8
    assert len(res['val']) == 2 and len(res['train']) == 6
    assert not set(res['val']) & set(res['train'])
    with open(osp.join(root, 'cls_labels.txt')) as f:
        written = {line.split()[0]: [int(t) for t in line.split()[1:]] for line in f}
    assert written == truth  # the mask indices, because --classes follows them
    with open(osp.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['classes'][0] == 'background' and meta['img_suffix'] == '.png'
    assert len(meta['palette']) == len(meta['classes'])
    again = tool.make_folder_dataset(
        osp.join(root, 'images'),
        osp.join(root, 'labels.csv'),
        classes=names,
        val_ratio=0.25,
        seed=0,
    )
    assert again['val'] == res['val']  # the split is a function of the seed

    # one-hot form, class order from the header, written elsewhere
    one_hot = tmp_path / 'onehot.csv'
    with open(one_hot, 'w') as f:
        f.write('image,' + ','.join(reversed(names)) + '\n')
        for img_id, labels in truth.items():
            f.write(
                img_id
                + ','
                + ','.join('1' if names.index(n) + 1 in labels else '0' for n in reversed(names))
                + '\n'
            )
    res = tool.make_folder_dataset(
        osp.join(root, 'images'), str(one_hot), data_root=str(tmp_path / 'out')
    )
    assert res['classes'] == ['background'] + list(reversed(names))
    with open(tmp_path / 'out' / 'cls_labels.txt') as f:
        first = f.readline().split()
    expected = sorted(len(names) - c + 1 for c in truth[first[0]])
    assert [int(t) for t in first[1:]] == expected


@pytest.mark.parametrize(
    'content, message',
    [
        ('image,labels\nphoto_000.png,cat\nnope.png,cat\n', 'line 3: image "nope.png" is not in'),
        (
            'image,labels\nphoto_000.png,cat\nphoto_000,dog\n',
            'line 3: image "photo_000" is already',
        ),
        ('image,labels\nphoto_000.png,\n', 'line 2: image "photo_000.png" has no class'),
        ('image,labels\nphoto_000.png,background\n', 'line 2: "background" is not'),
        ('image,a,b\nphoto_000.png,1,2\n', 'line 2: column "b" is \'2\''),
        ('image\nphoto_000.png\n', 'line 1: the header needs'),
    ],
)
def test_converter_refuses_bad_csv(pets, tmp_path, content, message):
    root, _, _ = pets
    tool = _load(CONVERTER, 'folder_cls_labels_tool')
    bad = tmp_path / 'bad.csv'
    bad.write_text(content)
    with pytest.raises(tool.ConversionError, match=re.escape(message)):
        tool.make_folder_dataset(osp.join(root, 'images'), str(bad), data_root=str(tmp_path))


def test_converter_refuses_unknown_class_and_mixed_suffixes(pets, tmp_path):
    root, names, _ = pets
    tool = _load(CONVERTER, 'folder_cls_labels_tool')
    bad = tmp_path / 'bad.csv'
    bad.write_text('image,labels\nphoto_000.png,unicorn\n')
    with pytest.raises(tool.ConversionError, match='unknown class "unicorn"'):
        tool.make_folder_dataset(
            osp.join(root, 'images'), str(bad), classes=names, data_root=str(tmp_path)
        )
    images = tmp_path / 'images'
    shutil.copytree(osp.join(root, 'images'), images)
    shutil.copy(images / 'photo_001.png', images / 'photo_009.jpg')
    bad.write_text(f'image,labels\nphoto_000.png,{names[0]}\nphoto_009.jpg,{names[0]}\n')
    with pytest.raises(tool.ConversionError, match='several suffixes'):
        tool.make_folder_dataset(str(images), str(bad), data_root=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, CONVERTER, str(images), str(tmp_path / 'none.csv')],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1 and 'none.csv does not exist' in proc.stderr


def _doc_config(root, tmp_path):
    """The config block of docs/custom_dataset.md, pointed at this dataset."""
    with open(DOC, encoding='utf-8') as f:
        blocks = re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)
    (text,) = [b for b in blocks if 'WSSSBaseDataset' in b]
    text = text.replace("'../drs/", "'" + osp.join(ROOT, 'configs', 'drs') + '/')
    text = text.replace("'data/pets'", repr(root))
    text = re.sub(r'num_fg_classes = \d+', 'num_fg_classes = 3', text)
    path = tmp_path / 'pets_config.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    # a tiny network (the doc's is full size)
    cfg.merge_from_dict(
        {
            'model.backbone.widen_factor': 0.0625,
            'model.backbone.init_cfg': None,
            'model.decode_head.in_channels': 32,
            'model.decode_head.channels': 32,
        }
    )
    return cfg, str(path)


def test_pipeline_on_the_custom_set(pets, tmp_path):
    root, names, truth = pets
    _load(CONVERTER, 'folder_cls_labels_tool').make_folder_dataset(
        osp.join(root, 'images'), osp.join(root, 'labels.csv'), classes=names, val_ratio=0.25
    )
    cfg, cfg_path = _doc_config(root, tmp_path)
    init_default_scope('mmseg')
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(train) == 6 and len(val) == 2
    assert train.metainfo['classes'] == tuple(['background'] + names)
    # the training pipeline: augmented 320 crops with the image-level labels of the CSV
    item = train[0]
    img_id = train.get_data_info(0)['img_id']
    assert item['inputs'].shape == (3, 320, 320)
    label = item['data_samples'].gt_cls_label
    assert [i + 1 for i in torch.nonzero(label).flatten().tolist()] == truth[img_id]
    assert 'gt_sem_seg' not in item['data_samples']  # training never reads a mask
    assert val[0]['data_samples'].gt_sem_seg.data.shape[-2:] == (32, 32)

    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    losses = model.train_step(pseudo_collate([train[0], train[1]]), optim)
    assert torch.isfinite(losses['loss_cls'])

    # the doc's hook settings: threshold mode, no saliency; scored against the masks
    hook = cfg.custom_hooks[0]
    assert hook.pseudo_label_cfg['mode'] == 'threshold'
    out = tmp_path / 'pl'
    runner = Runner(
        model=model.eval(),
        work_dir=str(tmp_path / 'work'),
        default_scope='mmseg',
        log_level='WARNING',
    )
    gen = PseudoLabelLoop(
        runner,
        hook.dataset,
        str(out),
        scales=(32,),
        precision='fp32',
        pseudo_label_cfg=hook.pseudo_label_cfg,
    )
    metrics = gen.run()
    assert len(os.listdir(out / 'labels')) == 6 and len(os.listdir(out / 'maps')) == 6
    assert 0 <= metrics['pseudo_label/mIoU'] <= 100
    res = _load(EVALUATOR, 'eval_tool_custom').evaluate(
        osp.join(root, 'masks'), str(out / 'maps'), thresholds=[0.25]
    )
    assert res['classes'] == ['background'] + names  # from data_root/meta.json
    assert res['sweep']['mIoU@0.25'] == pytest.approx(metrics['pseudo_label/mIoU'], abs=1e-6)

    # browse: raw files with the pseudo labels, and after the training pipeline
    browser = _load(BROWSER, 'browse_dataset_tool')
    raw = browser.collect(train, 0, augmented=False, pseudo_label_dir=str(out / 'labels'))
    assert raw['classes'] == truth[img_id] and raw['image'].shape == (32, 32, 3)
    assert raw['mask'] is None  # the training split has no seg_map_path
    assert raw['pseudo'].shape == (32, 32) and raw['saliency'] is None
    aug = browser.collect(train, 0, augmented=True, pseudo_label_dir=None)
    assert aug['image'].shape == (320, 320, 3) and aug['classes'] == truth[img_id]
    paths = browser.browse(val, num=2, out_dir=str(tmp_path / 'browse'))
    assert len(paths) == 2 and all(osp.getsize(p) > 1000 for p in paths)
    counts = browser.class_counts(train)
    assert sum(counts.values()) == sum(
        len(truth[train.get_data_info(i)['img_id']]) for i in range(len(train))
    )
    proc = subprocess.run(
        [
            sys.executable,
            BROWSER,
            cfg_path,
            '--split',
            'val',
            '--num',
            '1',
            '--out-dir',
            str(tmp_path / 'b2'),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'val: 2 images; images per class' in proc.stdout
    assert len(os.listdir(tmp_path / 'b2')) == 1
    proc = subprocess.run(
        [sys.executable, BROWSER, cfg_path, '--ids', 'nope'],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1 and "image ids not in the dataset: ['nope']" in proc.stderr


@pytest.mark.parametrize('tool', [CONVERTER, BROWSER])
def test_help(tool):
    proc = subprocess.run(
        [sys.executable, tool, '--help'], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and 'usage' in proc.stdout
