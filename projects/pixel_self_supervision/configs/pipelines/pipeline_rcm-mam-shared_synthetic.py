# Synthetic leaderboard row: RCM + MAM with a shared SupportNet (MainNet's own outputs as targets;
# no support stage). See pipeline_rcm-mam_synthetic.py.
_base_ = ['./pipeline_rcm-mam_synthetic.py']
pipeline = dict(
    method='MainNet/SupportNet (RCM + MAM, shared SupportNet)',
    skip_stages=['support'],
    stage_overrides=dict(
        stage1=dict(
            config='projects/pixel_self_supervision/configs/'
            'rcm-mam-shared_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            cfg_options=dict(
                _delete_=True, **{'model.backbone.init_cfg.checkpoint': _base_._backbone}
            ),
        )
    ),
)
