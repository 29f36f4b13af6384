# Stage 1 (plain CAM) with MMSeg's ResNet-50 V1c (output stride 8) instead of DRS-VGG16, the same
# VOC12 aug recipe otherwise (configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py, from the same
# configs/_base_ files). The stage 1 of the ResNet-50 ESOL pipeline.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
    './_base_/models/r50-v1c-d8_cam.py',
]
model = dict(
    backbone={{_base_.r50_backbone}},
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
