# MS COCO 2014 with image-level labels (80 classes + background), the VOC12 aug recipe at 320 x 320.
# Layout: see the repository README (data/coco2014 with train2014/, val2014/, mask/ and
# cls_labels.txt from tools/dataset_converters/coco_cls_labels.py). Images without any class are
# skipped. Seeds are scored on the training images with GT masks (the WSSS convention): 82,081
# images; set val_dataloader.dataset.ann_file to a list to score a subset.
dataset_type = 'WSSSCOCODataset'
data_root = 'data/coco2014'
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
        ann_file='',
        data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
        skip_unlabeled=True,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='',
        data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
        skip_unlabeled=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
