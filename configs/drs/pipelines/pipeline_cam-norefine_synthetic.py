# Synthetic leaderboard row: CAM (plain ReLU), no refinement (stages: pipeline_drs_synthetic.py,
# without refinement: pipeline_drs-norefine_synthetic.py).
_base_ = ['./pipeline_drs-norefine_synthetic.py']
pipeline = dict(
    method='CAM (plain ReLU), no refinement',
    stage_overrides=dict(
        stage1=dict(
            config='configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            work_dir='work_dirs/pipeline_cam_synthetic/stage1',
        )
    ),
)
