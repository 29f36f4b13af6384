# Destruction learning, LLDM only, on COCO 2014 with the ResNet-50 switch.
_base_ = ['./lldm_vgg16_1xb10-15e_coco14-320x320.py']
# MMSeg's ResNet-50 (V1c stem) at output stride 8 (layer3/4 dilated 2/4), ImageNet weights, BN
# statistics frozen (batch 10); the classifier is a 1x1 conv on layer4 (no extra convs), ReLU
# everywhere.
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    head=dict(in_channels=2048, num_convs=0))
