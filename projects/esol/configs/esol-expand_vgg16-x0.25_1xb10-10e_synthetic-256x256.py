# ESOL expansion stage on the synthetic benchmark, on the plain-CAM stage 1 (DRS-VGG16 x0.25,
# ReLU). Starts from the stage-1 checkpoint (the pipeline sets model.init_cfg.checkpoint); the
# expansion sampler's offsets ascend the classification loss (gradient reversal) while the CAM head
# descends it; backbone frozen. Seeds after expansion are scored on train (sweep, precision/recall)
# and written by the PseudoLabelHook of the synthetic stage-1 recipe below.
# The stage-1 recipe comes from configs/_base_ (data, optimizer and lr multipliers), not from the
# DRS configs: a change to DRS's stage 1 leaves ESOL's runs as they are.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/synthetic_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_45e_drs_synthetic.py',
    '../../../configs/_base_/stage1/synthetic_maps.py',
]
custom_imports = dict(imports=['mmwsss', 'projects.esol.esol'], allow_failed_imports=False)
# what the plain-CAM stage 1 starts from (the synthetic pretraining); here every weight comes
# from the stage-1 checkpoint
pretrained = 'work_dirs/synthetic_pretrain/backbone.pth'
stage1_checkpoint = 'work_dirs/pipeline_cam_synthetic/stage1/epoch_20.pth'
# offsets bounded to 2 feature pixels (16 image pixels; set on the 64-px benchmark's 8 x 8 maps,
# kept at 256 px, where the maps are 32 x 32: not re-measured)
max_offset = 2.0
model = dict(
    type='ESOLClassifier',
    stage='expand',
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint),
    # ReLU as the plain-CAM stage 1; no backbone init: the stage-1 checkpoint holds every weight
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU'), widen_factor=0.25, init_cfg=None),
    decode_head=dict(
        num_classes=4, in_channels=128, channels=128, act_cfg=dict(_delete_=True, type='ReLU')
    ),
    test_cfg=dict(scales=(1.0,)),
    expansion=dict(
        type='ESOLExpansionSampler', grad_scale=1.0, weight_init='mean', max_offset=max_offset
    ),
    shrinkage=dict(type='ESOLShrinkageSampler', weight_init='identity', max_offset=max_offset),
    feature_clip=dict(type='FeatureClip', mode='relative', tau=0.7),
    area_loss=dict(type='ESOLAreaLoss', loss_weight=0.1),
)
# the head is pretrained now (1x / 2x lr); the offset conv is new (10x / 20x)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.expansion.']))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)]
train_cfg = dict(max_epochs=10, val_interval=10)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
