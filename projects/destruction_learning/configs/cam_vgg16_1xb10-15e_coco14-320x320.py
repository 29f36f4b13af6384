# Plain-CAM baseline on COCO 2014, the base of this project's VGG16 COCO configs: the VOC recipe
# (ReLU DRS-VGG16, square 384 resize, crop 320, batch 10, 15 epochs) on COCO's train2014.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
# MS COCO 2014 (80 object classes): trained on train2014 with image-level labels only; the maps are
# scored on train2014 with its GT masks (the WSSS convention), and written for all of train2014
# afterwards with pseudo labels by the background-threshold rule (no saliency maps on COCO; bg_thr
# 0.25 as ESOL's COCO config, untuned), which pipeline_lldm-mdcm_coco14.py's stage 3 trains on.
# The dataloaders come from configs/_base_/datasets/coco14_wsss.py, which skips the images whose
# label line lists no class (WSSSCOCODataset raises on them otherwise); so does the hook.
_coco_train = dict(
    type='WSSSCOCODataset',
    data_root='data/coco2014',
    ann_file='',
    data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
    skip_unlabeled=True,
)
model = dict(
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    decode_head=dict(num_classes=80, act_cfg=dict(_delete_=True, type='ReLU')),
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
