# DRS stage 1 scored as the official scripts/test_cls.py: three square scales (256, 320, 384)
# max-fused, and the saliency map as the background (1 - (saliency > 50); pixels no class lifts over
# the object cue 0.2 stay background). Saliency PNGs under data_root/SaliencyMap (PoolNet's, as the
# paper). For the refinement model, set _base_ to the refine config.
#   python tools/test.py \
#       configs/drs/drs-learnable-saliency-eval_vgg16_1xb10-15e_voc12aug-320x320.py CKPT
_base_ = ['./drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py']
test_dataloader = dict(
    dataset=dict(
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug', sal_path='SaliencyMap'
        ),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadSaliencyMap'),
            dict(type='LoadImageLevelLabels'),
            dict(type='LoadAnnotations'),
            dict(type='PackWSSSInputs'),
        ],
    )
)
val_dataloader = test_dataloader
model = dict(test_cfg=dict(scales=(256, 320, 384), use_saliency=True, saliency_threshold=50))
custom_hooks = []
