# Stage 1 (plain CAM) on MS COCO 2014: DRS-VGG16 with ReLU (torchvision weights), the VOC recipe
# with 80 classes and 5 epochs (x0.1 at 2 and 4; ~41k iterations at batch 10). The stage 1 of the
# COCO ESOL pipeline; the schedule is ours.
_base_ = [
    '../../../configs/_base_/models/drs_vgg16.py',
    '../../../configs/_base_/datasets/coco14_wsss.py',
    '../../../configs/_base_/default_runtime.py',
    '../../../configs/_base_/schedules/schedule_15e_drs.py',
]
relu = dict(_delete_=True, type='ReLU')
model = dict(backbone=dict(act_cfg=relu), decode_head=dict(num_classes=80, act_cfg=relu))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[2, 4], gamma=0.1)]
train_cfg = dict(max_epochs=5, val_interval=5)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
