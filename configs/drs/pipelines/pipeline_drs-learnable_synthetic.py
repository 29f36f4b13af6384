# Synthetic leaderboard row: DRS with the paper's learnable suppressor (see
# pipeline_drs_synthetic.py).
_base_ = ['./pipeline_drs_synthetic.py']
pipeline = dict(
    method='DRS (learnable)',
    stage_overrides=dict(
        stage1=dict(config='configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py')
    ),
)
