# Synthetic leaderboard row: destruction learning, both modules (LLDM + MDCM), on the plain-CAM
# recipe; the other stages are those of configs/drs/pipelines/pipeline_drs_synthetic.py.
#   python tools/run_pipeline.py \
#     projects/destruction_learning/configs/pipelines/pipeline_lldm-mdcm_synthetic.py
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_synthetic.py']
_configs = 'projects/destruction_learning/configs'
# The wrapped VGG16 sits under model.backbone.backbone: the pretrained weights are set there.
pipeline = dict(
    method='Destruction learning: CAM + LLDM + MDCM',
    stage_overrides=dict(
        stage1=dict(
            config=f'{_configs}/lldm-mdcm_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            cfg_options={
                'model.backbone.backbone.init_cfg.checkpoint': '{pretrain.work_dir}/backbone.pth'
            },
        )
    ),
)
