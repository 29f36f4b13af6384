# Ablation on the synthetic benchmark: the expansion with an identity kernel and no clip op, so the
# maps change only where the learned offsets move the sampling (our defaults, a 3x3 mean kernel and
# the clip, widen the maps by themselves). Stops after the expansion. See pipeline_esol_synthetic.py.
_base_ = ['./pipeline_esol_synthetic.py']
pipeline = dict(
    method='ESOL ablation: expansion, identity kernel, no clip',
    skip_stages=['shrink', 'refine', 'segmentation'],
    # stage_overrides replace a stage's keys whole: the checkpoint option is repeated
    stage_overrides=dict(expand=dict(cfg_options={
        'model.init_cfg.checkpoint': '{stage1.checkpoint}',
        'model.expansion.weight_init': 'identity',
        'model.feature_clip': None
    })))
