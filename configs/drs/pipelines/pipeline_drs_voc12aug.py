# The paper's DRS pipeline on PASCAL VOC 2012 aug (needs the dataset, saliency maps and the
# converted torchvision VGG16 weights, see configs/drs/README.md):
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       configs/drs/pipelines/pipeline_drs_voc12aug.py --launcher pytorch
pipeline = dict(
    method='DRS (learnable)',
    backbone='DRS-VGG16',
    dataset='VOC12 aug',
    seed=0,
    stages=[
        dict(
            name='stage1',
            kind='localization',
            config='configs/drs/drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py',
            metric='sweep/best_mIoU',
        ),
        dict(
            name='refine',
            kind='refined',
            config='configs/drs/drs-refine_vgg16_1xb10-30e_voc12aug-320x320.py',
            cfg_options={'train_dataloader.dataset.data_prefix.loc_map_path': '{stage1.maps_dir}'},
            extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')],
        ),
        dict(
            name='segmentation',
            kind='segmentation',
            config='configs/drs/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py',
            cfg_options={
                'train_dataloader.dataset.data_prefix.seg_map_path': '{refine.labels_dir}'
            },
        ),
    ],
)
