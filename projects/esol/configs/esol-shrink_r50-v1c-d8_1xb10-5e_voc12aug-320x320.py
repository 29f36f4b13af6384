# ESOL shrinkage on VOC12 aug with the ResNet-50 switch.
_base_ = ['./esol-shrink_vgg16_1xb10-5e_voc12aug-320x320.py', './_base_/models/r50-v1c-d8_cam.py']
expand_checkpoint = 'work_dirs/pipeline_esol_r50-v1c-d8_voc12aug/expand/epoch_5.pth'
model = dict(
    init_cfg=dict(checkpoint=expand_checkpoint),
    backbone={{_base_.r50_backbone_from_checkpoint}},
    head={{_base_.r50_head}})
