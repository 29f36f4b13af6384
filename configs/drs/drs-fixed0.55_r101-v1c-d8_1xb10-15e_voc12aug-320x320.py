# Fixed-delta DRS (0.55) in every activation of ResNet-101 V1c and of the CAM head.
_base_ = ['./drs-fixed0.55_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py']
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')))
