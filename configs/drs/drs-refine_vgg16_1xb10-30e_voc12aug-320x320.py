# DRS stage 2 (refinement) on VOC12 aug: regress the stage-1 maps with a plain VGG16 + RefineHead,
# then write refined maps and the pseudo labels (saliency mode: set the saliency folder) for
# stage 3.
_base_ = [
    '../_base_/models/drs_refine_vgg16.py',
    '../_base_/datasets/voc12aug_wsss.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_30e_drs_refine.py',
]
# the stage-1 maps (a pipeline passes '{stage1.maps_dir}'), absolute: data_root
# would prefix a relative data_prefix path (fileDirname is this config's folder)
stage1_maps = (
    '{{fileDirname}}/../../work_dirs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320/'
    'pseudo_labels/maps'
)
saliency = 'SaliencyMap'  # PoolNet saliency maps under data_root (not downloadable here)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='LoadLocalizationMaps'),
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(img_path='JPEGImages', loc_map_path=stage1_maps), pipeline=train_pipeline
    )
)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='WSSSVOCDataset',
            data_root='data/VOCdevkit/VOC2012',
            ann_file='ImageSets/Segmentation/train_aug.txt',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug', sal_path=saliency
            ),
        ),
        out_dir='pseudo_labels',
        scales=(256, 320, 384),
        # labels from the raw refined scores (a class above 1 beats a background of 1), as the
        # official pseudo-label script; the stored maps are clipped to [0, 1]
        labels_from_raw_maps=True,
        pseudo_label_cfg=dict(mode='saliency'),
    )
]
