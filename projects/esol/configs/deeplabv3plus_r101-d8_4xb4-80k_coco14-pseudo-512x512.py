# Stage 3 on MS COCO 2014: MMSeg's DeepLabV3+ R101 (the VOC recipe, as DRS's stage 3 uses it) with
# 81 classes, 80k iterations, trained on the ESOL pseudo labels of train2014, scored on val2014
# (GT). On MMSeg's config directly, not on DRS's stage-3 config: a change there leaves this run
# as is.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py']
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
model_wrapper_cfg = dict(type='DeviceAgnosticDDP')
# the shrinkage stage's pseudo labels (a pipeline passes '{shrink.labels_dir}'), absolute: data_root
# would prefix a relative data_prefix path (fileDirname is this config's folder)
pseudo_labels = (
    '{{fileDirname}}/../../../work_dirs/pipeline_esol_coco14/shrink/pseudo_labels/labels'
)
num_classes = 81
model = dict(
    decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes)
)
# MMSeg's InfiniteSampler replaced: augmentation as a function of (seed, pass, index), so a resumed
# run loads the same data (the iteration-based loop restarts the loader at each pass over the data)
train_dataloader = dict(
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='PseudoLabelDataset',
        data_root='data/coco2014',
        ann_file='',
        metainfo_from='WSSSCOCODataset',
        data_prefix=dict(img_path='train2014', seg_map_path=pseudo_labels),
        pipeline={{_base_.train_pipeline}},
        cls_label_file='cls_labels.txt',
        skip_unlabeled=True,
    ),
)
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WSSSCOCODataset',
        data_root='data/coco2014',
        ann_file='',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014'),
        pipeline={{_base_.test_pipeline}},
    )
)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=80000, val_interval=8000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000, by_epoch=False)]
