# MainNet/SupportNet (RCM + MAM) through the DRS pipeline on PASCAL VOC 2012 aug (see
# configs/drs/pipelines/pipeline_drs_voc12aug.py): a `support` stage (plain CAM, its checkpoint is
# the frozen SupportNet; it works in the folder tools/train.py would use, so a CAM trained there is
# reused), then stage 1 with RCM + MAM, the refinement and DeepLabV3+.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/pixel_self_supervision/configs/pipelines/pipeline_rcm-mam_voc12aug.py \
#       --launcher pytorch
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_voc12aug.py']
_support = dict(
    name='support',
    kind='localization',
    config='configs/drs/cam_vgg16_1xb10-15e_voc12aug-320x320.py',
    work_dir='work_dirs/cam_vgg16_1xb10-15e_voc12aug-320x320',
    metric='sweep/best_mIoU',
)
pipeline = dict(
    method='MainNet/SupportNet (RCM + MAM)',
    backbone='VGG16',
    stages=[_support] + _base_.pipeline.stages,
    stage_overrides=dict(
        stage1=dict(
            config='projects/pixel_self_supervision/configs/rcm-mam_vgg16_1xb10-15e_voc12aug-320x320.py',
            cfg_options={'model.support_checkpoint': '{support.checkpoint}'},
        )
    ),
)
