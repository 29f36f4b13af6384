# The ImageNet stand-in of the synthetic benchmark: a narrow VGG16 trained to classify a separate set
# drawn by the same generator with 8 object classes (seed 101; written by tools/run_demo.py, or
# make_synthetic_benchmark.py data/synthetic_pretrain --num-classes 8 --num-train 800 --num-val 200
# --seed 101). Like ImageNet for VOC, it shares object kinds with the target (same style; the 'red1'
# class definition even recurs), never its images or masks. It trains with BN (without, the plain
# 13-conv net barely moves in this budget); ExportBackboneHook folds BN into the convs and writes
# backbone.pth, the plain DRS-VGG16 topology that stage 1 loads like torchvision's ImageNet weights.
_base_ = [
    '../_base_/models/drs_vgg16.py', '../_base_/datasets/synthetic_wsss.py',
    '../_base_/default_runtime.py'
]
plain = dict(_delete_=True, type='ReLU')
model = dict(
    backbone=dict(act_cfg=plain, widen_factor=0.25, norm_cfg=dict(type='BN'), init_cfg=None),
    head=dict(num_classes=8, in_channels=128, channels=128, num_convs=1, act_cfg=plain),
    test_cfg=dict(scales=(1.0, )))
data_root = 'data/synthetic_pretrain'
train_dataloader = dict(batch_size=20, dataset=dict(data_root=data_root))
# classification only: the images and their labels (the set has no part masks)
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadImageLevelLabels'),
            dict(type='PackWSSSInputs')
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MultiLabelAPMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=10, eta_min=1e-5)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=10, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
custom_hooks = [dict(type='ExportBackboneHook', out_file='backbone.pth', fold_norms=True)]
