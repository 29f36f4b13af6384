# ESOL shrinkage stage on MS COCO 2014, then the multi-scale maps and pseudo labels of the training
# images. COCO has no saliency maps: the labels use the background-threshold rule (bg_thr is a user
# choice; 0.25 is ours, not tuned).
_base_ = ['./esol-expand_vgg16_1xb10-2e_coco14-320x320.py']
expand_checkpoint = 'work_dirs/pipeline_esol_coco14/expand/epoch_2.pth'
model = dict(stage='shrink', init_cfg=dict(checkpoint=expand_checkpoint))
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.shrinkage.']))
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
