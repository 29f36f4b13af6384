# Synthetic leaderboard row: DRS (fixed, delta 0.55) in conv5 and the head only, with refinement
# (an ablation of where the suppressors act; stages: pipeline_drs_synthetic.py).
_base_ = ['./pipeline_drs_synthetic.py']
pipeline = dict(
    method='DRS (fixed, delta 0.55, conv5 + head)',
    stage_overrides=dict(
        stage1=dict(
            config='configs/drs/drs-fixed0.55-conv5_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
        )
    ),
)
