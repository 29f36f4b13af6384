# DRS stage 1 (the paper's released recipe): learnable suppressors, VOC12 aug, batch 10, 15 epochs.
_base_ = [
    '../_base_/models/drs_vgg16.py',
    '../_base_/datasets/voc12aug_wsss.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_15e_drs.py',
]
# Seeds are scored on VOC train with GT (never used for training): MMSeg's mIoU at the official
# object cue 0.2, the best mIoU over a background-threshold sweep, and the classifier's mAP.
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
