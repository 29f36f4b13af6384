# Synthetic leaderboard row: destruction learning, LLDM only, on the plain-CAM recipe; the other
# stages (pretraining, DRS refinement, DeepLabV3+, supervised bound) are those of
# configs/drs/pipelines/pipeline_drs_synthetic.py.
#   python tools/run_pipeline.py \
#       projects/destruction_learning/configs/pipelines/pipeline_lldm_synthetic.py
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_synthetic.py']
_configs = 'projects/destruction_learning/configs'
pipeline = dict(
    method='Destruction learning: CAM + LLDM',
    stage_overrides=dict(
        stage1=dict(config=f'{_configs}/lldm_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    ),
)
