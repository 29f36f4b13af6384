# Synthetic leaderboard row: MainNet/SupportNet with RCM + MAM (see
# configs/drs/pipelines/pipeline_drs_synthetic.py for the stages). One stage more than DRS, before
# stage 1: `support`, the plain-CAM stage 1 whose checkpoint is the frozen SupportNet. It works in
# pipeline_cam_synthetic.py's stage-1 folder, so the CAM row and these rows train it once.
#   python tools/run_pipeline.py \
#       projects/pixel_self_supervision/configs/pipelines/pipeline_rcm-mam_synthetic.py
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_synthetic.py']
_backbone = '{pretrain.work_dir}/backbone.pth'
_support = dict(
    name='support',
    kind='localization',
    config='configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
    work_dir='work_dirs/pipeline_cam_synthetic/stage1',
    cfg_options={'model.backbone.init_cfg.checkpoint': _backbone},
    metric='sweep/best_mIoU',
)
pipeline = dict(
    method='MainNet/SupportNet (RCM + MAM)',
    # pretrain, support, stage1, refine, segmentation, supervised
    stages=_base_.pipeline.stages[:1] + [_support] + _base_.pipeline.stages[1:],
    stage_overrides=dict(
        stage1=dict(
            config='projects/pixel_self_supervision/configs/'
            'rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            cfg_options={
                'model.backbone.init_cfg.checkpoint': _backbone,
                'model.support_checkpoint': '{support.checkpoint}',
            },
        )
    ),
)
