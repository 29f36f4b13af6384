# ESOL shrinkage stage on VOC12 aug: starts from the expansion checkpoint (the pipeline sets
# model.init_cfg.checkpoint); only the shrinkage offsets learn (classification + area loss).
# Then the multi-scale maps of train_aug (the DRS refinement's targets), as stage 1 writes them.
_base_ = ['./esol-expand_vgg16_1xb10-5e_voc12aug-320x320.py']
expand_checkpoint = 'work_dirs/pipeline_esol_voc12aug/expand/epoch_5.pth'
model = dict(stage='shrink', init_cfg=dict(checkpoint=expand_checkpoint))
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.shrinkage.']))
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
