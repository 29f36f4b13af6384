# Synthetic leaderboard row: ESOL without refinement: stage 3 trains on the pseudo labels the
# shrinkage stage makes from its own maps (see pipeline_esol_synthetic.py for the stages).
_base_ = ['./pipeline_esol_synthetic.py']
pipeline = dict(
    method='ESOL, no refinement',
    skip_stages=['refine'],
    stage_overrides=dict(
        expand=dict(work_dir='work_dirs/pipeline_esol_synthetic/expand'),
        shrink=dict(work_dir='work_dirs/pipeline_esol_synthetic/shrink'),
        segmentation=dict(
            cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{shrink.labels_dir}'}
        ),
    ),
)
