# PASCAL VOC 2012 + SBD aug with image-level labels (DRS stage-1 data recipe).
# train: train_aug (10,582 images), image-level labels only; val/test: val (1,449) with GT masks.
# Saliency maps (PoolNet in the paper) are optional: set data_prefix.sal_path and add
# LoadSaliencyMap.
dataset_type = 'WSSSVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (320, 320)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='Resize', scale=(384, 384), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
# Localization maps are scored at the original size (the model resizes internally, see
# test_cfg.scales).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    # augmentation as a function of (seed, epoch, index): a resumed run sees the same data
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline,
    ),
)
# Stage outputs are judged on the training images (WSSS convention for seeds and pseudo labels).
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
