# ESOL on the embedded synthetic benchmark, the full pipeline:
#   pretraining (shared) -> stage 1: plain CAM (shared with pipeline_cam_synthetic.py) -> expansion
#   -> shrinkage (maps + pseudo labels) -> DRS refinement of the shrinkage maps (pseudo labels)
#   -> DeepLabV3+ on the pseudo labels (val mIoU); the fully supervised bound (shared).
# python tools/run_pipeline.py projects/esol/configs/pipelines/pipeline_esol_synthetic.py
# Inherits method-independent keys (seed, dataset) from the DRS pipeline; the stage list is ESOL's
# own (the runner's stage_overrides can replace and skip stages, not insert them).
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_synthetic.py']
_esol = 'projects/esol/configs/'
_backbone = '{pretrain.work_dir}/backbone.pth'
_labels = dict(kind='pseudo_label', key='pseudo_label/mIoU')
pipeline = dict(
    method='ESOL',
    stages=[
        dict(
            name='pretrain',
            kind='pretrain',
            config='configs/drs/pretrain_vgg16-x0.25-bn_1xb20-30e_synthetic-pretrain-128x128.py',
            work_dir='work_dirs/synthetic_pretrain',
            split='val',
            metric='multi-label/mAP',
        ),
        # the plain-CAM stage 1 of pipeline_cam_synthetic.py (same config, same folder: run once)
        dict(
            name='stage1',
            kind='localization',
            config='configs/drs/cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py',
            work_dir='work_dirs/pipeline_cam_synthetic/stage1',
            cfg_options={'model.backbone.init_cfg.checkpoint': _backbone},
            metric='sweep/best_mIoU',
        ),
        dict(
            name='expand',
            kind='localization',
            config=_esol + 'esol-expand_vgg16-x0.25_1xb10-10e_synthetic-256x256.py',
            cfg_options={'model.init_cfg.checkpoint': '{stage1.checkpoint}'},
            metric='sweep/best_mIoU',
            # pseudo labels straight from this stage's maps (its PseudoLabelHook, saliency rule)
            extra_results=[_labels],
        ),
        dict(
            name='shrink',
            kind='localization',
            config=_esol + 'esol-shrink_vgg16-x0.25_1xb10-10e_synthetic-256x256.py',
            cfg_options={'model.init_cfg.checkpoint': '{expand.checkpoint}'},
            metric='sweep/best_mIoU',
            # pseudo labels straight from this stage's maps (its PseudoLabelHook, saliency rule)
            extra_results=[_labels],
        ),
        dict(
            name='refine',
            kind='refined',
            config='configs/drs/drs-refine_vgg16-x0.25_1xb10-30e_synthetic-256x256.py',
            cfg_options={
                'model.backbone.init_cfg.checkpoint': _backbone,
                'train_dataloader.dataset.data_prefix.loc_map_path': '{shrink.maps_dir}',
            },
            metric='sweep/best_mIoU',
            extra_results=[_labels],
        ),
        dict(
            name='segmentation',
            kind='segmentation',
            config='configs/drs/deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-pseudo-256x256.py',
            cfg_options={
                'train_dataloader.dataset.data_prefix.seg_map_path': '{refine.labels_dir}'
            },
        ),
        dict(
            name='supervised',
            kind='supervised',
            config='configs/drs/deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-gt-256x256.py',
            work_dir='work_dirs/synthetic_supervised',
        ),
    ],
)
