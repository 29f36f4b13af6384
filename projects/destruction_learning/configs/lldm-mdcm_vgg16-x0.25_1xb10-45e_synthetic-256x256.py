# Destruction learning, both modules (LLDM + MDCM), on the synthetic benchmark (VGG16 x0.25).
_base_ = ['./cam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
custom_imports = dict(
    imports=['mmwsss', 'projects.destruction_learning.destruction_learning'],
    allow_failed_imports=False,
)
# LLDM: every training image also joins the batch as its destructed twin (4x4 grid, each cell
# moved at most 1 cell per axis), with the same image-level labels; off at test time.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadImageLevelLabels'),
    dict(type='Resize', scale={{_base_.resize_scale}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='LowLevelDestruction', grid_size=4, jitter=1, prob=1.0),
    dict(type='PackDestructionInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# MDCM: after pool3 (output stride 8) the feature map is also cut into 2x2 patches that run alone
# through the later stages (shared weights), stitched back and concatenated with the full path (head
# input 2x wider).
model = dict(
    # 10 images + their 10 twins per step
    data_preprocessor=dict(type='DestructionDataPreProcessor'),
    backbone=dict(
        _delete_=True,
        type='MDCMBackbone',
        backbone={{_base_.model.backbone}},
        split_stage=2,
        grid_size=2,
        aggregation='concat',
    ),
    decode_head=dict(in_channels=256),
)
