# Fixed-delta DRS (0.55) in the quarter-width ResNet-50 V1c on the synthetic benchmark (the backbone
# of drs-learnable_r50-v1c-w16-d8_1xb10-45e_synthetic-256x256.py, on the same VGG recipe).
_base_ = ['./drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(
    backbone=dict(
        _delete_=True,
        type='DRSResNetV1c',
        depth=50,
        stem_channels=16,
        base_channels=16,
        act_cfg=suppressor,
        out_indices=(3,),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None,
    ),
    decode_head=dict(in_channels=512, channels=128, act_cfg=suppressor),
)
