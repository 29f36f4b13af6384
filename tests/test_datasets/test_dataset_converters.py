# Copyright (c) mmwsss contributors. All rights reserved.
import importlib.util
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets import WSSSCOCODataset, WSSSVOCDataset, read_cls_label_file

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_voc_cls_labels_from_palette_masks(make_voc):
    root = make_voc(labels='')  # empty label file: the converter writes it
    tool = load_tool('voc_cls_labels')
    labels = tool.make_voc_cls_labels(root, mask_dir='SegmentationClass')
    assert labels == {'a': [1, 15], 'b': [12], 'c': [20]}  # 0 and 255 never listed
    with open(osp.join(root, 'cls_labels.txt')) as f:
        assert f.read() == 'a 1 15\nb 12\nc 20\n'
    ds = WSSSVOCDataset(
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    )
    assert ds.get_data_info(1)['cls_labels'] == [12]


def test_voc_cli_with_lists(make_voc, capsys):
    root = make_voc(labels='')
    tool = load_tool('voc_cls_labels')
    rc = tool.main(
        [
            root,
            '--mask-dir',
            'SegmentationClass',
            '--lists',
            'ImageSets/Segmentation/val.txt',
            '--out',
            'val_labels.txt',
        ]
    )
    assert rc == 0 and 'wrote 1 images' in capsys.readouterr().out
    assert read_cls_label_file(osp.join(root, 'val_labels.txt'), 21) == {'c': [20]}


def test_voc_errors(make_voc):
    tool = load_tool('voc_cls_labels')
    root = make_voc(labels='')
    with open(osp.join(root, 'SegmentationClass', 'b.png'), 'wb') as f:
        f.write(b'garbage')
    with pytest.raises(ValueError, match=r'mask .*b\.png cannot be read as an image'):
        tool.make_voc_cls_labels(root, mask_dir='SegmentationClass')
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(
        osp.join(root, 'SegmentationClass', 'b.png')
    )
    with pytest.raises(ValueError, match=r'b\.png has image mode RGB.*not a colour image'):
        tool.make_voc_cls_labels(root, mask_dir='SegmentationClass')
    Image.fromarray(np.full((8, 8), 33, np.uint8)).save(
        osp.join(root, 'SegmentationClass', 'b.png')
    )
    with pytest.raises(ValueError, match=r'b\.png has values \[33\] outside 0\.\.20'):
        tool.make_voc_cls_labels(root, mask_dir='SegmentationClass')
    with open(osp.join(root, 'extra.txt'), 'w') as f:
        f.write('a\nzz\n')
    with pytest.raises(FileNotFoundError, match=r'"zz" has no mask: .*zz\.png does not exist'):
        tool.make_voc_cls_labels(root, mask_dir='SegmentationClass', lists=['extra.txt'])
    with pytest.raises(FileNotFoundError, match='mask folder .*Nope does not exist'):
        tool.make_voc_cls_labels(root, mask_dir='Nope')


def test_coco_cls_labels(make_coco, capsys):
    root = make_coco(labels='')
    tool = load_tool('coco_cls_labels')
    assert tool.main([root]) == 0
    assert 'wrote 3 images' in capsys.readouterr().out
    labels = read_cls_label_file(osp.join(root, 'cls_labels.txt'), 81)
    assert labels == {
        'COCO_train2014_000000000001': [1, 80],
        'COCO_train2014_000000000002': [17],
        'COCO_val2014_000000000003': [45],
    }
    assert WSSSCOCODataset(data_root=root).get_data_info(0)['cls_labels'] == [1, 80]


def test_coco_reports_empty_images_and_errors(make_coco, capsys):
    root = make_coco(labels='')
    tool = load_tool('coco_cls_labels')
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(
        osp.join(root, 'mask', 'train2014', 'COCO_train2014_000000000002.png')
    )
    assert tool.main([root, '--nproc', '2']) == 0
    assert 'warning: 1 images have no foreground class' in capsys.readouterr().err
    assert (
        read_cls_label_file(osp.join(root, 'cls_labels.txt'))['COCO_train2014_000000000002'] == []
    )
    with pytest.warns(UserWarning, match='skipped 1 images'):
        ds = WSSSCOCODataset(data_root=root, skip_unlabeled=True)
    assert len(ds) == 1
    with pytest.raises(ValueError, match='appear in .*train2014 and in an earlier mask folder'):
        tool.make_coco_cls_labels(root, mask_dirs=['mask/train2014', 'mask/train2014'])
    with open(osp.join(root, 'mask', 'val2014', 'COCO_val2014_000000000003.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n broken')
    with pytest.raises(ValueError, match=r'COCO_val2014_000000000003\.png cannot be read'):
        tool.make_coco_cls_labels(root)


def test_voc_compare_to_the_official_list(make_voc, tmp_path, capsys):
    root = make_voc(labels='')
    official = tmp_path / 'train_aug_cls.txt'
    # official indices leave background out: 0 = aeroplane; 'b' lists another class, 'd' is extra
    official.write_text('a 0 14\nb 11 4\nd 3\n')
    tool = load_tool('voc_cls_labels')
    assert tool.read_official_list(str(official)) == {'a': [1, 15], 'b': [5, 12], 'd': [4]}
    rc = tool.main([root, '--mask-dir', 'SegmentationClass', '--compare-to', str(official)])
    out = capsys.readouterr().out
    assert rc == 0
    assert '2 images in both lists, 1 with other classes; 1 only here, 1 only there' in out
    assert 'classes only there: 5 (bottle): 1' in out and 'b: only here [], only there [5]' in out
    official.write_text('a 0 20\n')
    with pytest.raises(ValueError, match=r'line 1: class indices outside 0\.\.19'):
        tool.read_official_list(str(official))
