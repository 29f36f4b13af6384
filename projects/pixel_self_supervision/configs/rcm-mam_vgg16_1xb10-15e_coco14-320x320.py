# MainNet/SupportNet with RCM + MAM on MS COCO 2014: MainNet is the plain-CAM VGG16 (80 classes)
# of cam_vgg16_1xb10-15e_coco14-320x320.py; SupportNet is frozen, from that config's checkpoint
# (trained as the `support` stage of pipeline_rcm-mam_coco14.py).
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
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
    decode_head=dict(num_classes=80, act_cfg=dict(_delete_=True, type='ReLU')),
    support_mode='frozen',
    support_checkpoint='work_dirs/cam_vgg16_1xb10-15e_coco14-320x320/epoch_15.pth',
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
# After training: the maps of train2014 and pseudo labels by the background-threshold rule (COCO has
# no saliency maps; bg_thr 0.25 as ESOL's COCO config, untuned).
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='WSSSCOCODataset',
            data_root='data/coco2014',
            ann_file='',
            data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
            skip_unlabeled=True,
        ),
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        pseudo_label_cfg=dict(mode='threshold', bg_thr=0.25),
    )
]
