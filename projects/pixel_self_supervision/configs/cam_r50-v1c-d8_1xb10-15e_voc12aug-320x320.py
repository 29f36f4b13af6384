# Plain-CAM stage 1 with an MMSeg ResNet-50 (V1c, output stride 8) on VOC12 aug: the SupportNet of
# rcm-mam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py. The DRS stage-1 recipe (SGD lr 1e-3, x10 for the
# head, 15 epochs) unchanged, not tuned for ResNet. Output stride 16: strides=(1, 2, 2, 1),
# dilations=(1, 1, 1, 2).
_base_ = [
    '../../../configs/_base_/datasets/voc12aug_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    size_divisor=8,
    seg_pad_val=255,
)
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3,),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'),
    ),
    decode_head=dict(
        type='CAMHead',
        num_classes=20,
        in_channels=2048,
        channels=512,
        num_convs=1,
        act_cfg=dict(type='ReLU'),
    ),
    test_cfg=dict(scales=(320,), flip=False, bg_threshold=0.2),
)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='WSSSVOCDataset',
            data_root='data/VOCdevkit/VOC2012',
            ann_file='ImageSets/Segmentation/train_aug.txt',
        ),
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        save_labels=False,
    )
]
