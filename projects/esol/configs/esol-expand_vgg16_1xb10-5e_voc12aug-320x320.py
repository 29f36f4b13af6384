# ESOL expansion stage on VOC12 aug, on the plain-CAM stage 1 (DRS-VGG16 with ReLU, torchvision
# weights; configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py). Starts from its checkpoint (the
# pipeline sets model.init_cfg.checkpoint); the expansion offsets ascend the classification loss,
# the CAM head descends it, the backbone is frozen. Schedule and sampler settings are ours (the
# paper's are not public); seeds after expansion are scored on VOC train by the test loop.
# The stage-1 recipe comes from configs/_base_ (data, optimizer and lr multipliers), not from the
# DRS configs: a change to DRS's stage 1 leaves ESOL's runs as they are.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
custom_imports = dict(imports=['mmwsss', 'projects.esol.esol'], allow_failed_imports=False)
stage1_checkpoint = 'work_dirs/pipeline_esol_voc12aug/stage1/epoch_15.pth'
# 40 x 40 feature maps at the 320 crop: offsets bounded to 4 feature pixels (32 image pixels)
max_offset = 4.0
model = dict(
    type='ESOLClassifier',
    stage='expand',
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint),
    # every weight comes from the stage-1 checkpoint; ReLU as the plain-CAM stage 1
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU'), init_cfg=None),
    decode_head=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    expansion=dict(
        type='ESOLExpansionSampler', grad_scale=1.0, weight_init='mean', max_offset=max_offset
    ),
    shrinkage=dict(type='ESOLShrinkageSampler', weight_init='identity', max_offset=max_offset),
    feature_clip=dict(type='FeatureClip', mode='relative', tau=0.7),
    area_loss=dict(type='ESOLAreaLoss', loss_weight=0.1),
)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.expansion.']))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)]
train_cfg = dict(max_epochs=5, val_interval=5)
# seeds on VOC train (GT only here): mIoU at the object cue 0.2, a threshold sweep, the mAP
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
# the expansion maps are not needed downstream: no map generation after this stage
custom_hooks = []
