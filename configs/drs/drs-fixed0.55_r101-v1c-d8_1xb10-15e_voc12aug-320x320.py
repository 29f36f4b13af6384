# Fixed-delta DRS (0.55) in every activation of ResNet-101 V1c and of the CAM head.
_base_ = ['./drs-learnable_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(
    backbone=dict(
        depth=101,
        act_cfg=suppressor,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c'),
    ),
    decode_head=dict(act_cfg=suppressor),
)
