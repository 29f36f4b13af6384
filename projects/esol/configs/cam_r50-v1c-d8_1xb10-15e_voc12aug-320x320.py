# Stage 1 (plain CAM) with MMSeg's ResNet-50 V1c (output stride 8) instead of DRS-VGG16, the same
# VOC12 aug recipe otherwise (configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py). The stage 1 of
# the ResNet-50 ESOL pipeline.
_base_ = [
    '../../../configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py',
    './_base_/models/r50-v1c-d8_cam.py'
]
model = dict(backbone={{_base_.r50_backbone}}, head={{_base_.r50_head}})
