# Copyright (c) mmwsss contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmwsss.datasets import WSSSVOCDataset
from mmwsss.registry import DATASETS

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='LoadSaliencyMap'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadImageLevelLabels'),
    dict(type='PackWSSSInputs'),
]


def voc(root, **kwargs):
    cfg = dict(
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        cls_label_file='cls_labels.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path='SaliencyMap'
        ),
    )
    cfg.update(kwargs)
    return WSSSVOCDataset(**cfg)


def test_build_with_train_pipeline(make_voc):
    root = make_voc()
    ds = DATASETS.build(
        dict(
            type='WSSSVOCDataset',
            data_root=root,
            ann_file='ImageSets/Segmentation/train.txt',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path='SaliencyMap'
            ),
            pipeline=TRAIN_PIPELINE,
        )
    )
    assert len(ds) == 2
    assert len(ds.metainfo['classes']) == 21 and ds.metainfo['classes'][0] == 'background'
    info = ds.get_data_info(0)
    assert info['img_id'] == 'a'
    assert info['cls_labels'] == [1, 15] and info['num_classes'] == 21
    assert info['img_path'] == osp.join(root, 'JPEGImages', 'a.jpg')
    assert info['sal_path'] == osp.join(root, 'SaliencyMap', 'a.png')
    assert ds.get_cls_labels(1) == [12]

    out = ds[0]
    sample = out['data_samples']
    assert out['inputs'].shape == (3, 8, 8) and out['inputs'].dtype == torch.uint8
    expected = torch.zeros(20)
    expected[[0, 14]] = 1
    assert sample.gt_cls_label.dtype == torch.float32
    assert torch.equal(sample.gt_cls_label, expected)
    assert (
        sample.gt_saliency.data.shape == (1, 8, 8) and sample.gt_saliency.data.dtype == torch.uint8
    )
    assert 'gt_sem_seg' not in sample  # training never loads the mask
    assert sample.metainfo['img_id'] == 'a'


def test_test_split_loads_ground_truth(make_voc):
    root = make_voc()
    ds = DATASETS.build(
        dict(
            type='WSSSVOCDataset',
            data_root=root,
            ann_file='ImageSets/Segmentation/val.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
            test_mode=True,
            pipeline=TEST_PIPELINE,
        )
    )
    out = ds[0]
    gt = out['data_samples'].gt_sem_seg.data
    assert gt.shape == (1, 8, 8)
    assert set(torch.unique(gt).tolist()) == {0, 20}
    assert out['data_samples'].gt_cls_label[19] == 1 and out['data_samples'].gt_cls_label.sum() == 1
    assert ds.get_data_info(0)['sal_path'] is None


def test_default_layout_and_sbd_style_list(make_voc):
    root = make_voc(mask_dir='SegmentationClassAug', saliency=False)
    os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'), exist_ok=True)
    with open(osp.join(root, 'ImageSets', 'Segmentation', 'train_aug.txt'), 'w') as f:
        f.write('/JPEGImages/b.jpg /SegmentationClassAug/b.png\n\nc\n')
    ds = WSSSVOCDataset(data_root=root)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['b', 'c']
    assert ds.get_data_info(0)['seg_map_path'] == osp.join(root, 'SegmentationClassAug', 'b.png')


def test_class_subset_remaps_labels(make_voc):
    root = make_voc()
    ds = voc(root, metainfo=dict(classes=('background', 'person', 'dog')))
    assert ds.get_data_info(0)['cls_labels'] == [1]  # person -> 1, aeroplane dropped
    assert ds.get_data_info(1)['cls_labels'] == [2]  # dog -> 2
    assert ds.get_data_info(0)['num_classes'] == 3


def test_missing_image(make_voc):
    root = make_voc(skip_images=('b',))
    with pytest.raises(FileNotFoundError, match=r'train\.txt, line 2.*"b".*b\.jpg does not exist'):
        voc(root)


def test_image_missing_from_label_file(make_voc):
    root = make_voc(labels='a 1 15\nc 20\n')
    with pytest.raises(KeyError, match=r'"b".*missing from the class label file .*cls_labels\.txt'):
        voc(root)


@pytest.mark.parametrize(
    'line, pattern',
    [
        ('b 21', r'cls_labels\.txt, line 2: image "b" has class index 21 outside 1\.\.20'),
        ('b 0', r'line 2: image "b" has class index 0'),
        ('b dog', r'line 2: image "b" has a class index that is not an integer'),
    ],
)
def test_unknown_class_index(make_voc, line, pattern):
    root = make_voc(labels=f'a 1 15\n{line}\nc 20\n')
    with pytest.raises(ValueError, match=pattern):
        voc(root)


def test_duplicate_image_in_label_file(make_voc):
    root = make_voc(labels='a 1\nb 12\na 15\nc 20\n')
    with pytest.raises(ValueError, match=r'line 3: image "a" is listed twice \(first at line 1\)'):
        voc(root)


def test_image_without_labels(make_voc):
    root = make_voc(labels='a 1 15\nb\nc 20\n')
    with pytest.raises(ValueError, match=r'image "b" .*train\.txt, line 2.*has no class labels'):
        voc(root)
    with pytest.warns(UserWarning, match='skipped 1 images'):
        ds = voc(root, skip_unlabeled=True)
    assert len(ds) == 1 and ds.get_data_info(0)['img_id'] == 'a'


def test_missing_saliency(make_voc):
    root = make_voc(skip_saliency=('a',))
    with pytest.raises(
        FileNotFoundError, match=r'"a".*no saliency map: .*SaliencyMap/a\.png does not exist'
    ):
        voc(root)
    # without a sal_path prefix the saliency folder is not needed
    ds = voc(
        root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path=None),
    )
    assert ds.get_data_info(0)['sal_path'] is None


def test_missing_list_and_label_file(make_voc):
    root = make_voc()
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        voc(root, ann_file='ImageSets/Segmentation/nope.txt')
    with pytest.raises(FileNotFoundError, match='class label file .*missing.txt does not exist'):
        voc(root, cls_label_file='missing.txt')


def test_reduce_zero_label_refused(make_voc):
    with pytest.raises(ValueError, match='reduce_zero_label'):
        voc(make_voc(), reduce_zero_label=True)


def test_labels_match_masks(make_voc):
    """The fixture's label file is what its masks hold (the convention of the converters)."""
    from PIL import Image

    root = make_voc()
    ds = voc(root, ann_file='ImageSets/Segmentation/val.txt')
    info = ds.get_data_info(0)
    mask = np.array(Image.open(info['seg_map_path']))
    assert sorted(set(np.unique(mask).tolist()) - {0, 255}) == info['cls_labels']


def test_corrupt_image_names_the_file(make_voc):
    root = make_voc()
    with open(osp.join(root, 'JPEGImages', 'b.jpg'), 'wb') as f:
        f.write(b'\xff\xd8 not a JPEG: the copy was cut short')
    ds = DATASETS.build(
        dict(
            type='WSSSVOCDataset',
            data_root=root,
            ann_file='ImageSets/Segmentation/train.txt',
            cls_label_file='cls_labels.txt',
            data_prefix=dict(img_path='JPEGImages', sal_path='SaliencyMap'),
            pipeline=TRAIN_PIPELINE,
        )
    )
    assert ds[0]['inputs'].shape[0] == 3  # the intact image still loads
    with pytest.raises(Exception, match=r'JPEGImages/b\.jpg'):
        ds[1]
