# Plain-CAM stage 1 on VOC12 aug, the base of this project's VGG16 VOC configs: the DRS stage-1
# recipe of configs/_base_ (DRS-VGG16 with ReLU everywhere, ImageNet weights, square 384 resize,
# crop 320, batch 10, 15 epochs, the DRS lr multipliers); the maps are scored on VOC train and
# written for train_aug after training. Its own copy, so a change to configs/drs leaves it as is.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
model = dict(
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    decode_head=dict(act_cfg=dict(_delete_=True, type='ReLU')),
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
