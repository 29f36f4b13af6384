# DRS stage 2, the refinement network: VGG16 (output stride 8) with plain ReLU + RefineHead
# (three 3x3 convs + a 1x1 conv to the 20 VOC foreground classes, N(0, 0.01) init); 21,804,372
# parameters. It regresses the stored stage-1 localization maps (LoadLocalizationMaps in the train
# pipeline), each pixel keeping only its arg-max class, by MSE. Predictions have 21 channels
# (background + 20), like stage 1's, so IoUMetric and the pseudo-label generation read refined maps
# exactly like CAMs. ImageNet weights for the backbone, as the official refinement code (not the
# stage-1 weights): tools/model_converters/vgg16_torchvision.py ->
# checkpoints/vgg16_torchvision_mmwsss.pth.
norm_cfg = None
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8,
)
model = dict(
    type='RefineSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DRSVGG',
        act_cfg=dict(type='ReLU'),
        widen_factor=1.0,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_torchvision_mmwsss.pth',
            prefix='backbone.',
        ),
    ),
    decode_head=dict(
        type='RefineHead',
        num_classes=20,
        in_channels=512,
        channels=512,
        num_convs=3,
        act_cfg=dict(type='ReLU'),
        loss_weight=1.0,
    ),
    # Refined maps as the official validation scores them: square 320 input, object cue 0.2
    # (background score where no saliency is used). Pseudo-label generation overrides scales to
    # (256, 320, 384).
    test_cfg=dict(scales=(320,), flip=False, bg_threshold=0.2),
)
