# Destruction learning, MDCM only, on COCO 2014 with the ResNet-50 switch.
_base_ = ['./cam_r50-v1c-d8_1xb10-15e_coco14-320x320.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.destruction_learning.destruction_learning'],
    allow_failed_imports=False,
)
# MDCM: after layer2 (output stride 8) the feature map is also cut into 2x2 patches that run alone
# through the later stages (shared weights), stitched back and concatenated with the full path (head
# input 2x wider).
model = dict(
    backbone=dict(
        _delete_=True,
        type='MDCMBackbone',
        backbone={{_base_.model.backbone}},
        split_stage=1,
        grid_size=2,
        aggregation='concat',
    ),
    decode_head=dict(in_channels=4096),
)
