# MainNet/SupportNet with RCM + MAM on PASCAL VOC 2012 aug: MainNet is the plain-CAM VGG16 of
# configs/drs (ImageNet weights, 15 epochs); SupportNet is frozen, loaded from a plain-CAM stage-1
# checkpoint (by default what `python tools/train.py configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py`
# writes; pipeline_rcm-mam_voc12aug.py trains it as its `support` stage).
_base_ = ['../../../configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'],
    allow_failed_imports=False)
model = dict(
    type='MainSupportCAMClassifier',
    support_mode='frozen',
    support_checkpoint='work_dirs/cam_vgg16_1xb10-15e_voc12aug-320x320/epoch_15.pth',
    rcm=dict(
        type='RegionalContrastiveModule',
        fg_threshold=0.5,
        bg_threshold=0.15,
        temperature=0.1,
        prototype_scope='batch',
        feature='head',
        loss_weight=0.1),
    mam=dict(
        type='MultiScaleAttentiveModule',
        scales=(0.5, 1.0, 1.5),
        fusion='max',
        up_weight=1.0,
        down_weight=0.5,
        loss_weight=1.0))
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['head.', '.fc', 'rcm.']))
