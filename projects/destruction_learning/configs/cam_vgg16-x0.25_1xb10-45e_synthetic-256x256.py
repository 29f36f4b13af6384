# Plain-CAM stage 1 on the synthetic benchmark, the base of this project's synthetic configs: the
# synthetic DRS stage-1 recipe of configs/_base_ (DRS-VGG16 x0.25 with ReLU everywhere, initialised
# from the synthetic pretraining, 45 epochs), then the maps and saliency pseudo labels of the
# training images. Its own copy, so a change to configs/drs leaves it as is.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/synthetic_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_45e_drs_synthetic.py',
    '../../../configs/_base_/stage1/synthetic_maps.py',
]
pretrained = 'work_dirs/synthetic_pretrain/backbone.pth'
model = dict(
    backbone=dict(
        act_cfg=dict(_delete_=True, type='ReLU'),
        widen_factor=0.25,
        init_cfg=dict(checkpoint=pretrained),
    ),
    decode_head=dict(
        num_classes=4, in_channels=128, channels=128, act_cfg=dict(_delete_=True, type='ReLU')
    ),
    test_cfg=dict(scales=(1.0,)),
)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
