# DRS stage 3 on VOC12: MMSeg's own DeepLabV3+ R101 recipe, trained on the pseudo labels of
# train_aug (written by the refinement stage) instead of GT; val with GT. Other MMSeg segmentors:
# change _base_.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py']
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
model_wrapper_cfg = dict(type='DeviceAgnosticDDP')
# the refinement's pseudo labels (a pipeline passes '{refine.labels_dir}'), absolute: data_root
# would prefix a relative data_prefix path (fileDirname is this config's folder)
pseudo_labels = (
    '{{fileDirname}}/../../work_dirs/drs-refine_vgg16_1xb10-30e_voc12aug-320x320/'
    'pseudo_labels/labels'
)
# MMSeg's InfiniteSampler replaced: augmentation as a function of (seed, pass, index), so a resumed
# run loads the same data (the iteration-based loop restarts the loader at each pass over the data)
train_dataloader = dict(
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='PseudoLabelDataset',
        data_root='data/VOCdevkit/VOC2012',
        ann_file='ImageSets/Segmentation/train_aug.txt',
        metainfo_from='WSSSVOCDataset',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_labels),
        pipeline={{_base_.train_pipeline}},
    ),
)
