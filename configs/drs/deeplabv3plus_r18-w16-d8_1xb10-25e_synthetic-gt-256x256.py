# The fully supervised upper bound of the synthetic benchmark: the same segmentor and budget as
# stage 3, trained on the GT masks instead of pseudo labels.
_base_ = ['./deeplabv3plus_r18-w16-d8_1xb10-25e_synthetic-pseudo-256x256.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='SyntheticWSSSDataset',
        data_root='data/synthetic',
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline={{_base_.train_pipeline}},
    )
)
