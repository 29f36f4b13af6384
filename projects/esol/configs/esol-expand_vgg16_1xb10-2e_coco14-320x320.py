# ESOL expansion stage on MS COCO 2014 (stage 1: cam_vgg16_1xb10-5e_coco14-320x320.py); the VOC
# settings (esol-expand_vgg16_1xb10-5e_voc12aug-320x320.py) over 2 epochs (~16k iterations).
_base_ = ['./cam_vgg16_1xb10-5e_coco14-320x320.py']
custom_imports = dict(imports=['mmwsss', 'projects.esol.esol'], allow_failed_imports=False)
stage1_checkpoint = 'work_dirs/pipeline_esol_coco14/stage1/epoch_5.pth'
max_offset = 4.0
model = dict(
    type='ESOLClassifier',
    stage='expand',
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint),
    backbone=dict(init_cfg=None),
    expansion=dict(
        type='ESOLExpansionSampler', grad_scale=1.0, weight_init='mean', max_offset=max_offset),
    shrinkage=dict(type='ESOLShrinkageSampler', weight_init='identity', max_offset=max_offset),
    feature_clip=dict(type='FeatureClip', mode='relative', tau=0.7),
    area_loss=dict(type='ESOLAreaLoss', loss_weight=0.1))
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.expansion.']))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.1)]
train_cfg = dict(max_epochs=2, val_interval=2)
