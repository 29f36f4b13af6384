# ESOL expansion stage on MS COCO 2014 (stage 1: cam_vgg16_1xb10-5e_coco14-320x320.py); the VOC
# settings (esol-expand_vgg16_1xb10-5e_voc12aug-320x320.py) over 2 epochs (~16k iterations). The
# stage-1 recipe of cam_vgg16_1xb10-5e_coco14-320x320.py, written out (configs stay 3 levels deep).
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
custom_imports = dict(imports=['mmwsss', 'projects.esol.esol'], allow_failed_imports=False)
stage1_checkpoint = 'work_dirs/pipeline_esol_coco14/stage1/epoch_5.pth'
max_offset = 4.0
relu = dict(_delete_=True, type='ReLU')
model = dict(
    type='ESOLClassifier',
    stage='expand',
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint),
    backbone=dict(act_cfg=relu, init_cfg=None),
    decode_head=dict(num_classes=80, act_cfg=relu),
    expansion=dict(
        type='ESOLExpansionSampler', grad_scale=1.0, weight_init='mean', max_offset=max_offset
    ),
    shrinkage=dict(type='ESOLShrinkageSampler', weight_init='identity', max_offset=max_offset),
    feature_clip=dict(type='FeatureClip', mode='relative', tau=0.7),
    area_loss=dict(type='ESOLAreaLoss', loss_weight=0.1),
)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.expansion.']))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.1)]
train_cfg = dict(max_epochs=2, val_interval=2)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
