# DRS stage 1 with MMSeg's ResNet-50 V1c instead of VGG16: DRSResNetV1c builds every activation
# (deep stem, inside each block and after each residual add) as a learnable suppressor; dilated last
# two stages (output stride 8, as DRS-VGG16 and MMSeg's -d8 models), the CAM head on 2048 channels.
# ImageNet weights: MMSeg's open-mmlab://resnet50_v1c (its key layout loads unchanged; the
# suppressors' 22,640,640 parameters are new keys, trained at the x10 lr of new weights).
# Built and checked by the tests, not trained here. Placement: docs/drs_in_resnets.md.
_base_ = [
    '../_base_/models/drs_vgg16.py',
    '../_base_/datasets/voc12aug_wsss.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_15e_drs.py',
]
suppressor = dict(type='DRS', learnable=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='DRSResNetV1c',
        depth=50,
        act_cfg=suppressor,
        num_stages=4,
        out_indices=(3,),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'),
    ),
    decode_head=dict(in_channels=2048, channels=512, act_cfg=suppressor),
)
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
