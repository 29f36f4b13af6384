# DRS stage 1 on the embedded synthetic benchmark: the VOC recipe on a quarter-width VGG16,
# initialised from the synthetic pretraining run (the ImageNet stand-in).
_base_ = [
    '../_base_/models/drs_vgg16.py',
    '../_base_/datasets/synthetic_wsss.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_45e_drs_synthetic.py',
    '../_base_/stage1/synthetic_maps.py',
]
pretrained = 'work_dirs/synthetic_pretrain/backbone.pth'
model = dict(
    backbone=dict(widen_factor=0.25, init_cfg=dict(checkpoint=pretrained)),
    decode_head=dict(num_classes=4, in_channels=128, channels=128),
    test_cfg=dict(scales=(1.0,)),
)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
