# DRS stage 1 on the embedded synthetic benchmark: the VOC recipe on a quarter-width VGG16,
# initialised from the synthetic pretraining run (the ImageNet stand-in).
_base_ = [
    '../_base_/models/drs_vgg16.py',
    '../_base_/datasets/synthetic_wsss.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_45e_drs_synthetic.py',
]
pretrained = 'work_dirs/synthetic_pretrain/backbone.pth'
model = dict(
    backbone=dict(widen_factor=0.25, init_cfg=dict(checkpoint=pretrained)),
    decode_head=dict(num_classes=4, in_channels=128, channels=128),
    test_cfg=dict(scales=(1.0,)),
)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CAMThresholdSweepMetric', prefix='sweep'),
    dict(type='MultiLabelAPMetric'),
]
test_evaluator = val_evaluator
# After training: the stage-1 maps (the refinement targets) and pseudo labels made from them
# directly. 192 px images: the official scales {256, 320, 384} of a 320 input become
# {154, 192, 230}.
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='SyntheticWSSSDataset',
            data_root='data/synthetic',
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[dict(type='LoadImageFromFile'), dict(type='PackSegInputs')],
        ),
        out_dir='pseudo_labels',
        scales=(154, 192, 230),
        batch_size=16,
        pseudo_label_cfg=dict(mode='saliency'),
    ),
    # the maps of every 100th image of each validation / test pass, sent to the visualizer's
    # backends (vis_data/vis_image/*.png; TensorBoard with TensorboardVisBackend): 4 pictures a
    # pass here, about 0.2 s each on a CPU core
    dict(type='CAMVisualizationHook', interval=100),
]
