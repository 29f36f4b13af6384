# The synthetic DRS stage 1 with a quarter-width ResNet-50 V1c (stem and base width 16, 512 output
# channels) in place of the quarter-width VGG16; the data, schedule, maps and pseudo labels are
# those of the VGG config it inherits. The synthetic pretraining is a VGG, so this backbone starts
# from MMSeg's default init (Kaiming convs, zero-init residual BN), not from pretrained weights: its
# numbers are not comparable with the VGG rows. Not in the leaderboard; see docs/drs_in_resnets.md.
_base_ = ['./drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
suppressor = dict(type='DRS', learnable=True)
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
