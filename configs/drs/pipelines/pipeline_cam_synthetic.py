# Synthetic leaderboard row: CAM (plain ReLU) (see pipeline_drs_synthetic.py for the stages).
_base_ = ['./pipeline_drs_synthetic.py']
pipeline = dict(
    method='CAM (plain ReLU)',
    stage_overrides=dict(
        stage1=dict(config='configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    ),
)
