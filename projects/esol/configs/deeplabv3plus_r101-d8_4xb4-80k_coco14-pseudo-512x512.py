# Stage 3 on MS COCO 2014: MMSeg's DeepLabV3+ R101 (the VOC recipe of configs/drs) with 81
# classes, 80k iterations, trained on the ESOL pseudo labels of train2014, scored on val2014 (GT).
_base_ = ['../../../configs/drs/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py']
num_classes = 81
# the shrinkage stage's pseudo labels (a pipeline passes '{shrink.labels_dir}'), absolute: data_root
# would prefix a relative data_prefix path (fileDirname is this config's folder)
pseudo_labels = ('{{fileDirname}}/../../../work_dirs/pipeline_esol_coco14/shrink/'
                 'pseudo_labels/labels')
model = dict(
    decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(
        data_root='data/coco2014',
        ann_file='',
        metainfo_from='WSSSCOCODataset',
        data_prefix=dict(img_path='train2014', seg_map_path=pseudo_labels),
        cls_label_file='cls_labels.txt',
        skip_unlabeled=True))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WSSSCOCODataset',
        data_root='data/coco2014',
        ann_file='',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014'),
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=80000, val_interval=8000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000, by_epoch=False)]
