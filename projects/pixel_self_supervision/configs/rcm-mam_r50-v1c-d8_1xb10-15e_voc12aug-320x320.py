# MainNet/SupportNet with RCM + MAM and an MMSeg ResNet-50 (output stride 8) on VOC12 aug;
# SupportNet frozen from cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py's checkpoint. RCM reads the
# head's 512-channel features.
_base_ = ['./cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.pixel_self_supervision.pixel_self_supervision'],
    allow_failed_imports=False,
)
model = dict(
    type='MainSupportCAMClassifier',
    support_mode='frozen',
    support_checkpoint='work_dirs/cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320/epoch_15.pth',
    rcm=dict(
        type='RegionalContrastiveModule',
        fg_threshold=0.5,
        bg_threshold=0.15,
        temperature=0.1,
        prototype_scope='batch',
        feature='head',
        loss_weight=0.1,
    ),
    mam=dict(
        type='MultiScaleAttentiveModule',
        scales=(0.5, 1.0, 1.5),
        fusion='max',
        up_weight=1.0,
        down_weight=0.5,
        loss_weight=1.0,
    ),
)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['decode_head.', '.fc', 'rcm.']))
