# DRS stage 3 on the synthetic benchmark: MMSeg's DeepLabV3+ (a ResNet-18 at a quarter of the width,
# from scratch) trained on the stage-2 pseudo labels, scored on val with GT.
_base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/default_runtime.py']
num_classes = 5
# the refinement's pseudo labels (a pipeline passes '{refine.labels_dir}'), absolute: data_root
# would prefix a relative data_prefix path (fileDirname is this config's folder)
pseudo_labels = '{{fileDirname}}/../../work_dirs/pipeline_drs_synthetic/refine/pseudo_labels/labels'
data_root = 'data/synthetic'
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(256, 256)),
    backbone=dict(depth=18, stem_channels=16, base_channels=16, dilations=(1, 1, 2, 2)),
    decode_head=dict(
        in_channels=128,
        channels=64,
        c1_in_channels=16,
        c1_channels=12,
        dilations=(1, 2, 4, 6),
        num_classes=num_classes,
    ),
    auxiliary_head=dict(in_channels=64, channels=32, num_classes=num_classes),
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(256, 256), cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=10,
    num_workers=2,
    persistent_workers=True,
    # augmentation as a function of (seed, epoch, index): a resumed run sees the same data
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        meta_file='meta.json',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_labels),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticWSSSDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, by_epoch=True, begin=0, end=25)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=25, val_interval=25)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=5, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
)
