# ESOL expansion stage on the synthetic benchmark, on the plain-CAM stage 1 (DRS-VGG16 x0.25,
# ReLU). Starts from the stage-1 checkpoint (the pipeline sets model.init_cfg.checkpoint); the
# expansion sampler's offsets ascend the classification loss (gradient reversal) while the CAM head
# descends it; backbone frozen. Seeds after expansion are scored on train (sweep, precision/recall)
# and written by the stage-1 PseudoLabelHook inherited here.
_base_ = ['../../../configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-192x192.py']
custom_imports = dict(imports=['mmwsss', 'projects.esol.esol'], allow_failed_imports=False)
stage1_checkpoint = 'work_dirs/pipeline_cam_synthetic/stage1/epoch_20.pth'
# 8 x 8 feature maps here: offsets bounded to 2 feature pixels (16 image pixels)
max_offset = 2.0
model = dict(
    type='ESOLClassifier',
    stage='expand',
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint),
    backbone=dict(init_cfg=None),  # every weight comes from the stage-1 checkpoint
    expansion=dict(
        type='ESOLExpansionSampler', grad_scale=1.0, weight_init='mean', max_offset=max_offset),
    shrinkage=dict(type='ESOLShrinkageSampler', weight_init='identity', max_offset=max_offset),
    feature_clip=dict(type='FeatureClip', mode='relative', tau=0.7),
    area_loss=dict(type='ESOLAreaLoss', loss_weight=0.1))
# the head is pretrained now (1x / 2x lr); the offset conv is new (10x / 20x)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.expansion.']))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)]
train_cfg = dict(max_epochs=10, val_interval=10)
