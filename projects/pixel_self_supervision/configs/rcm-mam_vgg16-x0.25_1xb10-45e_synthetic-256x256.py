# MainNet/SupportNet with both modules (RCM + MAM) on the embedded synthetic benchmark.
# MainNet: the plain-CAM network and recipe (quarter-width VGG16, ReLU, 45 epochs, initialised from
# the synthetic pretraining); SupportNet: frozen, the plain-CAM stage-1 checkpoint (what
# pipeline_cam_synthetic.py's stage 1 writes; the pipeline configs pass it through
# `{support.checkpoint}`). Alone:
#   python tools/train.py \
#       projects/pixel_self_supervision/configs/rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py \
#       --cfg-options model.support_checkpoint=<a CAM stage-1 checkpoint>
# The plain-CAM stage-1 recipe comes from configs/_base_ (data, optimizer, lr multipliers), not
# from the DRS configs: a change to DRS's stage 1 leaves these runs as they are.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/synthetic_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_45e_drs_synthetic.py',
    '../../../configs/_base_/stage1/synthetic_maps.py',
]
custom_imports = dict(
    imports=['mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'],
    allow_failed_imports=False,
)
pretrained = 'work_dirs/synthetic_pretrain/backbone.pth'
model = dict(
    type='MainSupportCAMClassifier',
    backbone=dict(
        act_cfg=dict(_delete_=True, type='ReLU'),
        widen_factor=0.25,
        init_cfg=dict(checkpoint=pretrained),
    ),
    decode_head=dict(
        num_classes=4, in_channels=128, channels=128, act_cfg=dict(_delete_=True, type='ReLU')
    ),
    test_cfg=dict(scales=(1.0,)),
    support_mode='frozen',
    support_checkpoint='work_dirs/pipeline_cam_synthetic/stage1/epoch_20.pth',
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
