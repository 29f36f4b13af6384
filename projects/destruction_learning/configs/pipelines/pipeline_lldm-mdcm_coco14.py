# Destruction learning (LLDM + MDCM, VGG16) on MS COCO 2014, end to end: stage 1, whose hook writes
# the multi-scale maps of train2014 and their pseudo labels (background-threshold rule: COCO has no
# saliency maps) and scores both on its GT masks, then MMSeg's DeepLabV3+ R101 on those labels,
# scored on val2014 (ESOL's COCO stage 3 config). No refinement stage, as in ESOL's COCO pipeline:
# the DRS refinement configs are VOC's.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/destruction_learning/configs/pipelines/pipeline_lldm-mdcm_coco14.py \
#       --launcher pytorch
pipeline = dict(
    method='Destruction learning: CAM + LLDM + MDCM',
    backbone='VGG16',
    dataset='COCO14',
    seed=0,
    stages=[
        dict(
            name='stage1',
            kind='localization',
            config='projects/destruction_learning/configs/'
            'lldm-mdcm_vgg16_1xb10-15e_coco14-320x320.py',
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
