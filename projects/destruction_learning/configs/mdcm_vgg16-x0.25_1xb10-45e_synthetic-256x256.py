# Destruction learning, MDCM only, on the synthetic benchmark (VGG16 x0.25, plain-CAM recipe).
_base_ = ['./cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.destruction_learning.destruction_learning'],
    allow_failed_imports=False,
)
# MDCM: after pool3 (output stride 8) the feature map is also cut into 2x2 patches that run alone
# through the later stages (shared weights), stitched back and concatenated with the full path (head
# input 2x wider).
model = dict(
    backbone=dict(
        _delete_=True,
        type='MDCMBackbone',
        backbone={{_base_.model.backbone}},
        split_stage=2,
        grid_size=2,
        aggregation='concat',
    ),
    decode_head=dict(in_channels=256),
)
