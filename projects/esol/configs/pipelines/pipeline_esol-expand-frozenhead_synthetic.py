# Ablation on the synthetic benchmark: the expansion alone, with the CAM head frozen, so only the
# offsets move (METHODS.md's design; our default trains the head too). Stops after the expansion:
# its seeds (recall, precision) are what it is for. See pipeline_esol_synthetic.py for the stages.
_base_ = ['./pipeline_esol_synthetic.py']
pipeline = dict(
    method='ESOL ablation: expansion, head frozen',
    skip_stages=['shrink', 'refine', 'segmentation'],
    # stage_overrides replace a stage's keys whole: the checkpoint option is repeated
    stage_overrides=dict(
        expand=dict(
            cfg_options={
                'model.init_cfg.checkpoint': '{stage1.checkpoint}',
                'model.trainable': ['expansion'],
            }
        )
    ),
)
