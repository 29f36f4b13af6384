# What every synthetic stage-1 config does after training and during evaluation: the stage-1 maps
# of the training images (the refinement targets) and the saliency pseudo labels made from them,
# and the localization-map pictures sent to the visualizer. 256 px images: the official map scales
# {256, 320, 384} of a 320 input become {205, 256, 307}.
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        dataset=dict(
            type='SyntheticWSSSDataset',
            data_root='data/synthetic',
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[dict(type='LoadImageFromFile'), dict(type='PackSegInputs')],
        ),
        out_dir='pseudo_labels',
        scales=(205, 256, 307),
        batch_size=16,
        pseudo_label_cfg=dict(mode='saliency'),
    ),
    # the maps of every 100th image of each validation / test pass, sent to the visualizer's
    # backends (vis_data/vis_image/*.png; TensorBoard with TensorboardVisBackend): 4 pictures a
    # pass here, about 0.2 s each on a CPU core
    dict(type='CAMVisualizationHook', interval=100),
]
