# Synthetic leaderboard row: MainNet/SupportNet with MAM only (see pipeline_rcm-mam_synthetic.py).
_base_ = ['./pipeline_rcm-mam_synthetic.py']
pipeline = dict(
    method='MainNet/SupportNet (MAM)',
    stage_overrides=dict(
        stage1=dict(
            config='projects/pixel_self_supervision/configs/mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py'
        )
    ),
)
