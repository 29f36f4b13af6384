# Copyright (c) mmwsss contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.registry import DATASETS


def write_pseudo_labels(folder, ids):
    for k, img_id in enumerate(ids):
        label = np.full((8, 8), 255, np.uint8)
        label[:4] = 0
        label[4:, :4] = 15 + k
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(label).save(osp.join(folder, img_id + '.png'))


def pseudo_cfg(root, pseudo_dir, **kwargs):
    cfg = dict(
        type='PseudoLabelDataset',
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_dir),
        metainfo_from='WSSSVOCDataset',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs'),
        ],
    )
    cfg.update(kwargs)
    return cfg


def test_pseudo_labels_are_the_masks(make_voc, tmp_path):
    root = make_voc()
    pseudo_dir = str(tmp_path / 'work_dirs' / 'pseudo')  # absolute, outside data_root
    write_pseudo_labels(pseudo_dir, ['a', 'b'])
    ds = DATASETS.build(pseudo_cfg(root, pseudo_dir))
    assert len(ds) == 2 and len(ds.metainfo['classes']) == 21
    assert ds.get_data_info(1)['seg_map_path'] == osp.join(pseudo_dir, 'b.png')
    assert 'cls_labels' not in ds.get_data_info(0)  # no label file needed for a segmentation stage
    gt = ds[1]['data_samples'].gt_sem_seg.data
    assert set(torch.unique(gt).tolist()) == {0, 16, 255}


def test_missing_pseudo_label_names_both_paths(make_voc, tmp_path):
    root = make_voc()
    pseudo_dir = str(tmp_path / 'pseudo')
    write_pseudo_labels(pseudo_dir, ['a'])
    with pytest.raises(FileNotFoundError) as err:
        DATASETS.build(pseudo_cfg(root, pseudo_dir))
    msg = str(err.value)
    assert osp.join(root, 'JPEGImages', 'b.jpg') in msg
    assert osp.join(pseudo_dir, 'b.png') in msg and 'no pseudo label' in msg


def test_pseudo_label_dataset_arguments(make_voc, tmp_path):
    root = make_voc()
    with pytest.raises(ValueError, match='seg_map_path'):
        DATASETS.build(pseudo_cfg(root, None))
    os.makedirs(tmp_path / 'p', exist_ok=True)
    with pytest.raises(ValueError, match='metainfo_from'):
        DATASETS.build(pseudo_cfg(root, str(tmp_path / 'p'), metainfo_from='NoSuchDataset'))
    write_pseudo_labels(str(tmp_path / 'p'), ['a', 'b'])
    cfg = pseudo_cfg(
        root,
        str(tmp_path / 'p'),
        metainfo_from=None,
        metainfo=dict(classes=('background', 'thing')),
        pipeline=[],
    )
    ds = DATASETS.build(cfg)
    assert ds.metainfo['classes'] == ('background', 'thing')
    assert ds.get_data_info(0)['num_classes'] == 2
    # the VOC label file indexes 21 classes, more than the 2 given: caught at load time
    with pytest.raises(ValueError, match=r'class index 15 outside 1\.\.1'):
        DATASETS.build(dict(cfg, cls_label_file='cls_labels.txt'))
