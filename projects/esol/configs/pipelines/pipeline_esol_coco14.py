# ESOL on MS COCO 2014 (needs the dataset, cls_labels.txt and the converted torchvision VGG16
# weights): plain-CAM stage 1 -> expansion -> shrinkage (maps + threshold pseudo labels)
# -> DeepLabV3+ R101. No refinement stage: the DRS refinement configs are VOC's.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/esol/configs/pipelines/pipeline_esol_coco14.py --launcher pytorch
_esol = 'projects/esol/configs/'
pipeline = dict(
    method='ESOL',
    backbone='DRS-VGG16',
    dataset='COCO14',
    seed=0,
    stages=[
        dict(
            name='stage1',
            kind='localization',
            config=_esol + 'cam_vgg16_1xb10-5e_coco14-320x320.py',
            metric='sweep/best_mIoU',
        ),
        dict(
            name='expand',
            kind='localization',
            config=_esol + 'esol-expand_vgg16_1xb10-2e_coco14-320x320.py',
            cfg_options={'model.init_cfg.checkpoint': '{stage1.checkpoint}'},
            metric='sweep/best_mIoU',
        ),
        dict(
            name='shrink',
            kind='localization',
            config=_esol + 'esol-shrink_vgg16_1xb10-2e_coco14-320x320.py',
            cfg_options={'model.init_cfg.checkpoint': '{expand.checkpoint}'},
            metric='sweep/best_mIoU',
            extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
        ),
        dict(
            name='segmentation',
            kind='segmentation',
            config=_esol + 'deeplabv3plus_r101-d8_4xb4-80k_coco14-pseudo-512x512.py',
            cfg_options={
                'train_dataloader.dataset.data_prefix.seg_map_path': '{shrink.labels_dir}'
            },
        ),
    ],
)
