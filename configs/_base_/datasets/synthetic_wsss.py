# The embedded synthetic benchmark (VOC layout, 4 object classes, 256x256), made by
#   python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic
# Same recipe as VOC (resize 1.2x the crop, crop 0.8 of VOC's 320); saliency maps ship with it.
dataset_type = 'SyntheticWSSSDataset'
data_root = 'data/synthetic'
resize_scale = (307, 307)  # 1.2x the crop, as VOC's 384 for 320
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='Resize', scale=resize_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
# evaluation only: GT masks and the discriminative-part masks (part / body recall of the maps)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='LoadSaliencyMap'),
    dict(type='LoadAnnotations'),
    dict(type='LoadPartMask'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=10,
    num_workers=2,
    persistent_workers=True,
    # augmentation as a function of (seed, epoch, index): a resumed run sees the same data
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
