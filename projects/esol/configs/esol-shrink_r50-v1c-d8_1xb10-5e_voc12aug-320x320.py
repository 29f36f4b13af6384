# ESOL shrinkage on VOC12 aug with the ResNet-50 switch:
# esol-shrink_vgg16_1xb10-5e_voc12aug-320x320.py on the expansion config with the ResNet-50 backbone
# and head.
_base_ = ['./esol-expand_vgg16_1xb10-5e_voc12aug-320x320.py', './_base_/models/r50-v1c-d8_cam.py']
expand_checkpoint = 'work_dirs/pipeline_esol_r50-v1c-d8_voc12aug/expand/epoch_5.pth'
model = dict(
    stage='shrink',
    init_cfg=dict(checkpoint=expand_checkpoint),
    backbone={{_base_.r50_backbone_from_checkpoint}},
    decode_head={{_base_.r50_head}},
)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.shrinkage.']))
# Then the multi-scale maps of train_aug (the DRS refinement's targets), as stage 1 writes them.
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
