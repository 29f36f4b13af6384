# Synthetic leaderboard row: DRS (fixed, delta 0.55), no refinement (see pipeline_drs_synthetic.py
# for the stages).
_base_ = ['./pipeline_drs_synthetic.py']
# Without refinement: stage 3 trains on the pseudo labels made from the stage-1 maps directly.
pipeline = dict(
    method='DRS (fixed, delta 0.55), no refinement',
    skip_stages=['refine'],
    stage_overrides=dict(
        stage1=dict(
            config='configs/drs/drs-fixed0.55_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            work_dir='work_dirs/pipeline_drs_synthetic/stage1',
            extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
        ),
        segmentation=dict(
            cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{stage1.labels_dir}'}
        ),
    ),
)
