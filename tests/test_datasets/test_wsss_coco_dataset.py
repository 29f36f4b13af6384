# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch

from mmwsss.datasets import WSSSCOCODataset
from mmwsss.registry import DATASETS


def test_coco_train_split_scans_folder(make_coco):
    root = make_coco()
    ds = WSSSCOCODataset(data_root=root)  # defaults: train2014/, mask/train2014/, every image
    assert len(ds.metainfo['classes']) == 81 and len(ds.metainfo['palette']) == 81
    assert ds.metainfo['classes'][1] == 'person' and ds.metainfo['classes'][80] == 'toothbrush'
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))
            ] == ['COCO_train2014_000000000001', 'COCO_train2014_000000000002']
    assert ds.get_data_info(0)['cls_labels'] == [1, 80]
    assert ds.get_data_info(0)['num_classes'] == 81


def test_coco_val_split_with_pipeline(make_coco, tmp_path):
    root = make_coco()
    with open(f'{root}/val.txt', 'w') as f:
        f.write('COCO_val2014_000000000003\n')
    ds = DATASETS.build(
        dict(
            type='WSSSCOCODataset',
            data_root=root,
            ann_file='val.txt',
            data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014'),
            test_mode=True,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='LoadImageLevelLabels'),
                dict(type='PackWSSSInputs'),
            ]))
    sample = ds[0]['data_samples']
    assert sample.gt_cls_label.shape == (80, )
    assert sample.gt_cls_label.nonzero().flatten().tolist() == [44]
    assert set(torch.unique(sample.gt_sem_seg.data).tolist()) == {0, 45, 255}


def test_coco_index_out_of_range(make_coco):
    root = make_coco(labels='COCO_train2014_000000000001 1 81\nCOCO_train2014_000000000002 17\n')
    with pytest.raises(
            ValueError,
            match=r'line 1: image "COCO_train2014_000000000001" has class index 81 '
            r'outside 1\.\.80'):
        WSSSCOCODataset(data_root=root)
