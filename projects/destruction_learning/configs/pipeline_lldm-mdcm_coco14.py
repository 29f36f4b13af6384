# Destruction learning (LLDM + MDCM, VGG16) on MS COCO 2014, the stages this repo has configs for:
# stage 1, whose hook writes the multi-scale maps of train2014 (pseudo_labels/maps) and scores them
# on its GT masks; the refinement and segmentation stages for COCO are not written yet.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/destruction_learning/configs/pipeline_lldm-mdcm_coco14.py --launcher pytorch
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
            metric='sweep/best_mIoU'),
    ])
