# Synthetic leaderboard row: DRS (learnable), no refinement (stages: pipeline_drs_synthetic.py,
# without refinement: pipeline_drs-norefine_synthetic.py).
_base_ = ['./pipeline_drs-norefine_synthetic.py']
pipeline = dict(
    method='DRS (learnable), no refinement',
    stage_overrides=dict(
        stage1=dict(
            config='configs/drs/drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            work_dir='work_dirs/pipeline_drs-learnable_synthetic/stage1',
        )
    ),
)
