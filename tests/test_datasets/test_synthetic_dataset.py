# Copyright (c) mmwsss contributors. All rights reserved.
import json
import os.path as osp

import pytest
import torch

from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.registry import DATASETS


@pytest.fixture(scope='module')
def syn_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn'))
    generate_synthetic_benchmark(
        root, num_train=6, num_val=3, num_object_classes=3, image_size=40, seed=1
    )
    return root


def test_train_split_with_pipeline(syn_root):
    ds = DATASETS.build(
        dict(
            type='SyntheticWSSSDataset',
            data_root=syn_root,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadImageLevelLabels'),
                dict(type='LoadSaliencyMap'),
                dict(type='RandomResize', scale=(48, 48), ratio_range=(0.8, 1.2), keep_ratio=True),
                dict(type='RandomCrop', crop_size=(32, 32)),
                dict(type='RandomFlip', prob=0.5),
                dict(type='PackWSSSInputs'),
            ],
        )
    )
    assert len(ds) == 6
    assert ds.metainfo['classes'] == ('background', 'red1', 'green2', 'blue3')
    assert ds.get_data_info(0)['img_path'].endswith(osp.join('JPEGImages', 'train_00000.png'))
    out = ds[0]
    sample = out['data_samples']
    assert out['inputs'].shape == (3, 32, 32)
    assert sample.gt_cls_label.shape == (3,) and sample.gt_cls_label.sum() >= 1
    assert sample.gt_saliency.data.shape == (1, 32, 32)


def test_val_split_loads_ground_truth(syn_root):
    ds = DATASETS.build(
        dict(
            type='SyntheticWSSSDataset',
            data_root=syn_root,
            ann_file='ImageSets/Segmentation/val.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
            test_mode=True,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='LoadImageLevelLabels'),
                dict(type='PackWSSSInputs'),
            ],
        )
    )
    assert len(ds) == 3
    for i in range(3):
        sample = ds[i]['data_samples']
        present = sorted(set(torch.unique(sample.gt_sem_seg.data).tolist()) - {0})
        assert present == (sample.gt_cls_label.nonzero().flatten() + 1).tolist()


def test_metainfo_mismatch_and_missing_meta(syn_root, tmp_path):
    with pytest.raises(ValueError, match='differ from the classes'):
        DATASETS.build(
            dict(
                type='SyntheticWSSSDataset',
                data_root=syn_root,
                metainfo=dict(classes=('background', 'x')),
            )
        )
    with pytest.raises(FileNotFoundError, match='meta file .*meta.json does not exist'):
        DATASETS.build(dict(type='SyntheticWSSSDataset', data_root=str(tmp_path)))
    with open(osp.join(syn_root, 'meta.json')) as f:
        assert json.load(f)['num_classes'] == 4


def test_part_masks_are_found_from_the_meta_file(syn_root, tmp_path):
    ds = DATASETS.build(
        dict(
            type='SyntheticWSSSDataset',
            data_root=syn_root,
            ann_file='ImageSets/Segmentation/val.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='LoadPartMask'),
                dict(type='PackWSSSInputs'),
            ],
        )
    )
    info = ds.get_data_info(0)
    assert info['part_path'].endswith(osp.join('PartMask', info['img_id'] + '.png'))
    sample = ds[0]['data_samples']
    part, gt = sample.gt_part_seg.data[0], sample.gt_sem_seg.data[0]
    assert part.any() and bool(((part == 0) | (part == gt)).all())  # parts lie on their objects
    # a set written without parts (the pretraining set) gets no part_path
    other = str(tmp_path / 'noparts')
    generate_synthetic_benchmark(
        other, num_train=2, num_val=0, num_object_classes=3, image_size=40, write_parts=False
    )
    plain = DATASETS.build(dict(type='SyntheticWSSSDataset', data_root=other))
    assert 'part_path' not in plain.get_data_info(0)


def test_loc_map_path_names_an_earlier_stages_maps(syn_root, tmp_path):
    """data_prefix.loc_map_path: each image's stored maps, checked at load time and read by
    LoadLocalizationMaps (the hand-over to the refinement stage)."""
    import numpy as np

    from mmwsss.datasets.stage_files import map_path, save_maps

    cfg = dict(
        type='SyntheticWSSSDataset',
        data_root=syn_root,
        data_prefix=dict(img_path='JPEGImages', loc_map_path=str(tmp_path)),
        cls_label_file=None,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadLocalizationMaps'),
            dict(type='PackWSSSInputs'),
        ],
    )
    with pytest.raises(FileNotFoundError, match=r'train_00000\.npz does not exist'):
        DATASETS.build(cfg)
    for i in range(6):
        img_id = f'train_{i:05d}'
        save_maps(map_path(str(tmp_path), img_id), np.full((2, 40, 40), 7 * i, np.uint8), [1, 3])
    ds = DATASETS.build(cfg)
    assert ds.get_data_info(2)['loc_map_path'] == map_path(str(tmp_path), 'train_00002')
    loc = ds[2]['data_samples'].gt_loc_map.data
    assert loc.shape == (3, 40, 40) and (loc[[0, 2]] == 14).all() and not loc[1].any()
