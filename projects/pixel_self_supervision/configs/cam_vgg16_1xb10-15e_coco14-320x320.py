# Plain-CAM stage 1 on MS COCO 2014 (the frozen SupportNet of the COCO configs): the DRS VOC recipe
# with ReLU, 80 classes. Writes multi-scale maps of train2014 after training, and pseudo labels by
# the background-threshold rule (COCO has no saliency maps; bg_thr 0.25 as ESOL's COCO config,
# untuned), which the segmentation stage of pipeline_rcm-mam_coco14.py trains on.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
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
        dataset=dict(
            type='WSSSCOCODataset',
            data_root='data/coco2014',
            ann_file='',
            data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014'),
            skip_unlabeled=True,
        ),
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        pseudo_label_cfg=dict(mode='threshold', bg_thr=0.25),
    )
]
