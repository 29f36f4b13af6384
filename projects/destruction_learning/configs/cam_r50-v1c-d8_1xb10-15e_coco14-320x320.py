# Plain-CAM baseline on COCO 2014 with the ResNet-50 switch, the base of this project's ResNet-50
# COCO configs: cam_vgg16_1xb10-15e_coco14-320x320.py with MMSeg's ResNetV1c-50 instead of VGG16.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
# MS COCO 2014 (80 object classes): trained on train2014 with image-level labels only; the maps are
# scored on train2014 with its GT masks, and written for all of train2014 afterwards with pseudo
# labels by the background-threshold rule (no saliency maps on COCO; bg_thr 0.25, untuned).
# The dataloaders come from configs/_base_/datasets/coco14_wsss.py, which skips the images whose
# label line lists no class (WSSSCOCODataset raises on them otherwise); so does the hook.
_coco_train = dict(
    type='WSSSCOCODataset',
    data_root='data/coco2014',
    ann_file='',
    data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
    skip_unlabeled=True,
)
# MMSeg's ResNet-50 (V1c stem) at output stride 8 (layer3/4 dilated 2/4), ImageNet weights, BN
# statistics frozen (batch 10); the classifier is a 1x1 conv on layer4 (no extra convs), ReLU
# everywhere.
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3,),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'),
    ),
    decode_head=dict(
        num_classes=80, in_channels=2048, num_convs=0, act_cfg=dict(_delete_=True, type='ReLU')
    ),
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
        dataset=_coco_train,
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        pseudo_label_cfg=dict(mode='threshold', bg_thr=0.25),
    )
]
