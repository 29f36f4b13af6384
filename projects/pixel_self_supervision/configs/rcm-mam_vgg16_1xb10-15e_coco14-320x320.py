# MainNet/SupportNet with RCM + MAM on MS COCO 2014: MainNet is the plain-CAM VGG16 (80 classes);
# SupportNet is frozen, from cam_vgg16_1xb10-15e_coco14-320x320.py's checkpoint (trained as the
# `support` stage of pipeline_rcm-mam_coco14.py).
_base_ = ['./cam_vgg16_1xb10-15e_coco14-320x320.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'],
    allow_failed_imports=False)
model = dict(
    type='MainSupportCAMClassifier',
    support_mode='frozen',
    support_checkpoint='work_dirs/cam_vgg16_1xb10-15e_coco14-320x320/epoch_15.pth',
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
