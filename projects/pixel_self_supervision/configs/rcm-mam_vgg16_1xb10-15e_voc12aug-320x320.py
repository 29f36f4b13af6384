# MainNet/SupportNet with RCM + MAM on PASCAL VOC 2012 aug: MainNet is the plain-CAM VGG16 of
# configs/drs (ImageNet weights, 15 epochs); SupportNet is frozen, loaded from a plain-CAM stage-1
# checkpoint (by default what
# `python tools/train.py configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py` writes;
# pipeline_rcm-mam_voc12aug.py trains it as its `support` stage).
# The plain-CAM stage-1 recipe comes from configs/_base_ (data, optimizer, lr multipliers), not
# from the DRS configs: a change to DRS's stage 1 leaves these runs as they are.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
custom_imports = dict(
    imports=['mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'],
    allow_failed_imports=False,
)
model = dict(
    type='MainSupportCAMClassifier',
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    decode_head=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    support_mode='frozen',
    support_checkpoint='work_dirs/cam_vgg16_1xb10-15e_voc12aug-320x320/epoch_15.pth',
    # SupportNet's regions (maps >= 0.5) and background (all maps < 0.15) on MainNet's features
    rcm=dict(
        type='RegionalContrastiveModule',
        fg_threshold=0.5,
        bg_threshold=0.15,
        temperature=0.1,
        prototype_scope='batch',
        feature='head',
        loss_weight=0.1,
    ),
    # SupportNet's maps at half, full and 1.5x input size, fused by max, pull MainNet's maps up
    mam=dict(
        type='MultiScaleAttentiveModule',
        scales=(0.5, 1.0, 1.5),
        fusion='max',
        up_weight=1.0,
        down_weight=0.5,
        loss_weight=1.0,
    ),
)
# the projection head is trained from scratch: the lr multipliers of new layers
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['decode_head.', '.fc', 'rcm.']))
# seeds on the training images (GT only here): mIoU at the object cue 0.2, a threshold sweep,
# the mAP
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
# After training: multi-scale maps of train_aug (the refinement targets).
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
