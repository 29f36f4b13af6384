# MainNet/SupportNet (RCM + MAM) on MS COCO 2014, end to end: a `support` stage (plain CAM, the
# frozen SupportNet), stage 1 with RCM + MAM, whose hook writes the multi-scale maps of train2014
# and their pseudo labels (background-threshold rule: COCO has no saliency maps), then MMSeg's
# DeepLabV3+ R101 on those labels, scored on val2014 (ESOL's COCO stage 3 config). No refinement
# stage, as in ESOL's COCO pipeline: the DRS refinement configs are VOC's.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/pixel_self_supervision/configs/pipelines/pipeline_rcm-mam_coco14.py \
#       --launcher pytorch
pipeline = dict(
    method='MainNet/SupportNet (RCM + MAM)',
    backbone='VGG16',
    dataset='COCO14',
    seed=0,
    stages=[
        dict(
            name='support',
            kind='localization',
            config='projects/pixel_self_supervision/configs/cam_vgg16_1xb10-15e_coco14-320x320.py',
            work_dir='work_dirs/cam_vgg16_1xb10-15e_coco14-320x320',
            metric='sweep/best_mIoU',
        ),
        dict(
            name='stage1',
            kind='localization',
            config='projects/pixel_self_supervision/configs/'
            'rcm-mam_vgg16_1xb10-15e_coco14-320x320.py',
            cfg_options={'model.support_checkpoint': '{support.checkpoint}'},
            metric='sweep/best_mIoU',
            extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
        ),
        dict(
            name='segmentation',
            kind='segmentation',
            config='projects/esol/configs/deeplabv3plus_r101-d8_4xb4-80k_coco14-pseudo-512x512.py',
            cfg_options={
                'train_dataloader.dataset.data_prefix.seg_map_path': '{stage1.labels_dir}'
            },
        ),
    ],
)
