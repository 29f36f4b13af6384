# Copyright (c) mmwsss contributors. All rights reserved.
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmwsss.datasets import WSSSCOCODataset
from mmwsss.registry import DATASETS


def test_coco_train_split_scans_folder(make_coco):
    root = make_coco()
    ds = WSSSCOCODataset(data_root=root)  # defaults: train2014/, mask/train2014/, every image
    assert len(ds.metainfo['classes']) == 81 and len(ds.metainfo['palette']) == 81
    assert ds.metainfo['classes'][1] == 'person' and ds.metainfo['classes'][80] == 'toothbrush'
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [
        'COCO_train2014_000000000001',
        'COCO_train2014_000000000002',
    ]
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
            ],
        )
    )
    sample = ds[0]['data_samples']
    assert sample.gt_cls_label.shape == (80,)
    assert sample.gt_cls_label.nonzero().flatten().tolist() == [44]
    assert set(torch.unique(sample.gt_sem_seg.data).tolist()) == {0, 45, 255}


def test_coco_index_out_of_range(make_coco):
    root = make_coco(labels='COCO_train2014_000000000001 1 81\nCOCO_train2014_000000000002 17\n')
    with pytest.raises(
        ValueError,
        match=r'line 1: image "COCO_train2014_000000000001" has class index 81 '
        r'outside 1\.\.80',
    ):
        WSSSCOCODataset(data_root=root)


_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COCO_STAGE_CONFIGS = sorted(
    osp.relpath(p, _ROOT)
    for p in glob.glob(osp.join(_ROOT, 'projects', '*', 'configs', '*coco14*.py'))
)


def _train2014_datasets(cfg):
    """The WSSSCOCODataset configs on train2014 of a stage config: dataloaders and hooks."""
    found = {}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            found[key] = cfg[key].dataset
    for hook in cfg.get('custom_hooks', []):
        if hook.get('dataset'):
            found[f'custom_hooks {hook.type}'] = hook.dataset
    return {
        k: d
        for k, d in found.items()
        if d.type == 'WSSSCOCODataset' and d.data_prefix.img_path == 'train2014'
    }


@pytest.mark.parametrize('path', COCO_STAGE_CONFIGS)
def test_coco_stage_configs_skip_images_without_labels(path, make_coco):
    """COCO's train2014 has images whose masks hold no class (an empty label line); every COCO
    stage config reads train2014 with skip_unlabeled=True, as WSSSCOCODataset raises otherwise."""
    root = make_coco(
        labels='COCO_train2014_000000000001 1 80\nCOCO_train2014_000000000002\n'
        'COCO_val2014_000000000003 45\n'
    )
    with pytest.raises(ValueError, match='has no class labels'):
        WSSSCOCODataset(data_root=root)
    cfg = Config.fromfile(osp.join(_ROOT, path))
    datasets = _train2014_datasets(cfg)
    assert datasets or 'deeplabv3plus' in path, path
    for where, dataset in datasets.items():
        dataset = copy.deepcopy(dataset.to_dict())
        dataset.update(data_root=root, pipeline=[])
        with pytest.warns(UserWarning, match='skipped 1 images without class labels'):
            ds = DATASETS.build(dataset)
        assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [
            'COCO_train2014_000000000001'
        ], where
