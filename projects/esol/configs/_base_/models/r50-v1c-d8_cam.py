# The ResNet-50 switch: MMSeg's ResNetV1c (deep stem) at output stride 8 (layer3/4 dilated 2/4),
# BN statistics frozen (batch 10 on one GPU); the CAM head is the usual ResNet one (a 1x1 conv on
# the 2048 channels). Children replace the DRS-VGG16 backbone and head of a VGG config with
# {{_base_.r50_backbone}} (ImageNet weights from OpenMMLab, for stage 1) or
# {{_base_.r50_backbone_from_checkpoint}} (ESOL stages: every weight comes from the stage
# checkpoint) and {{_base_.r50_head}}.
r50 = dict(
    _delete_=True,
    type='ResNetV1c',
    depth=50,
    num_stages=4,
    out_indices=(3,),
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=True,
    contract_dilation=True,
    style='pytorch',
)
r50_backbone = dict(r50, init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'))
r50_backbone_from_checkpoint = dict(r50, init_cfg=None)
r50_head = dict(in_channels=2048, num_convs=0)
