# DRS stage-1 classifier: DRS-VGG16 (output stride 8) + CAM head, learnable suppressors everywhere.
# ImageNet weights: tools/model_converters/vgg16_torchvision.py turns torchvision's vgg16 file into
# checkpoints/vgg16_torchvision_mmwsss.pth (keys under 'backbone.'), loaded by init_cfg below.
norm_cfg = None
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    size_divisor=8,
    seg_pad_val=255,
)
suppressor = dict(type='DRS', learnable=True)
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DRSVGG',
        act_cfg=suppressor,
        widen_factor=1.0,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_torchvision_mmwsss.pth',
            prefix='backbone.',
        ),
    ),
    decode_head=dict(
        type='CAMHead', num_classes=20, in_channels=512, channels=512, act_cfg=suppressor
    ),
    # Localization maps as the official evaluation makes them: square 320 input, object cue 0.2.
    test_cfg=dict(scales=(320,), flip=False, bg_threshold=0.2),
)
