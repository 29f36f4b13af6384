# ESOL expansion on VOC12 aug with the ResNet-50 switch
# (stage 1: cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py).
_base_ = ['./esol-expand_vgg16_1xb10-5e_voc12aug-320x320.py', './_base_/models/r50-v1c-d8_cam.py']
stage1_checkpoint = 'work_dirs/pipeline_esol_r50-v1c-d8_voc12aug/stage1/epoch_15.pth'
model = dict(
    init_cfg=dict(checkpoint=stage1_checkpoint),
    backbone={{_base_.r50_backbone_from_checkpoint}},
    decode_head={{_base_.r50_head}},
)
