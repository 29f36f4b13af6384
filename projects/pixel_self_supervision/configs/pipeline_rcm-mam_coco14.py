# MainNet/SupportNet (RCM + MAM) on MS COCO 2014, the stages this repo has configs for: a `support`
# stage (plain CAM, the frozen SupportNet), then stage 1 with RCM + MAM, whose hook writes the
# multi-scale maps of train2014 (pseudo_labels/maps); the refinement and segmentation stages for COCO
# are not written yet.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/pixel_self_supervision/configs/pipeline_rcm-mam_coco14.py --launcher pytorch
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
            metric='sweep/best_mIoU'),
        dict(
            name='stage1',
            kind='localization',
            config='projects/pixel_self_supervision/configs/rcm-mam_vgg16_1xb10-15e_coco14-320x320.py',
            cfg_options={'model.support_checkpoint': '{support.checkpoint}'},
            metric='sweep/best_mIoU'),
    ])
