# ESOL variant on the synthetic benchmark: the expansion sampler with an identity kernel W1 and no
# clip op, so the maps change only where the learned offsets move the sampling (our defaults, a 3x3
# mean kernel and the clip, widen or sharpen the maps by themselves). Expansion -> shrinkage ->
# DeepLabV3+ on the shrinkage stage's pseudo labels (no refinement). See pipeline_esol_synthetic.py.
_base_ = ['./pipeline_esol_synthetic.py']
_variant = {'model.expansion.weight_init': 'identity', 'model.feature_clip': None}
pipeline = dict(
    method='ESOL, identity kernel, no clip, no refinement',
    skip_stages=['refine'],
    # stage_overrides replace a stage's keys whole: the checkpoint options are repeated
    stage_overrides=dict(
        expand=dict(cfg_options={'model.init_cfg.checkpoint': '{stage1.checkpoint}', **_variant}),
        shrink=dict(cfg_options={'model.init_cfg.checkpoint': '{expand.checkpoint}', **_variant}),
        segmentation=dict(
            cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{shrink.labels_dir}'}
        ),
    ),
)
