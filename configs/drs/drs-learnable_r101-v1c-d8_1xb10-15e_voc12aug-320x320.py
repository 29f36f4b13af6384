# Learnable DRS in every activation of ResNet-101 V1c (42,694,656 suppressor parameters); otherwise
# the ResNet-50 config. ImageNet weights: MMSeg's open-mmlab://resnet101_v1c.
_base_ = ['./drs-learnable_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py']
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')
    )
)
