# Synthetic leaderboard row: RCM + MAM with an EMA SupportNet (no support stage: SupportNet is a
# momentum copy of MainNet). See pipeline_rcm-mam_synthetic.py.
_base_ = ['./pipeline_rcm-mam_synthetic.py']
pipeline = dict(
    method='MainNet/SupportNet (RCM + MAM, EMA SupportNet)',
    skip_stages=['support'],
    stage_overrides=dict(
        stage1=dict(
            config='projects/pixel_self_supervision/configs/'
            'rcm-mam-ema_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            cfg_options=dict(
                _delete_=True, **{'model.backbone.init_cfg.checkpoint': _base_._backbone}
            ),
        )
    ),
)
