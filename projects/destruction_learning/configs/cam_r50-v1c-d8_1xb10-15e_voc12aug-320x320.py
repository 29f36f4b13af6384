# Plain-CAM baseline on VOC12 aug with the ResNet-50 switch, the base of this project's ResNet-50
# VOC configs: the recipe of cam_vgg16_1xb10-15e_voc12aug-320x320.py (data, schedule, lr
# multipliers, maps) with MMSeg's ResNetV1c-50 instead of VGG16.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
# MMSeg's ResNet-50 (V1c stem) at output stride 8 (layer3/4 dilated 2/4), ImageNet weights, BN
# statistics frozen (batch 10); the classifier is a 1x1 conv on layer4 (no extra convs), ReLU
# everywhere.
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3,),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'),
    ),
    decode_head=dict(in_channels=2048, num_convs=0, act_cfg=dict(_delete_=True, type='ReLU')),
)
# seeds on VOC train (GT only here): mIoU at the object cue 0.2, a threshold sweep, the mAP
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
# After training: multi-scale stage-1 maps of train_aug (the refinement targets).
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='WSSSVOCDataset',
            data_root='data/VOCdevkit/VOC2012',
            ann_file='ImageSets/Segmentation/train_aug.txt',
        ),
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        save_labels=False,
    )
]
