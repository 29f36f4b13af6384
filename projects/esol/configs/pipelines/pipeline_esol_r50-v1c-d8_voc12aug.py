# ESOL on VOC12 aug with the ResNet-50 switch (MMSeg's ResNetV1c, output stride 8) for stage 1,
# expansion and shrinkage; refinement and stage 3 as in pipeline_esol_voc12aug.py.
_base_ = ['./pipeline_esol_voc12aug.py']
_esol = 'projects/esol/configs/'
pipeline = dict(
    backbone='ResNet-50 V1c D8',
    stage_overrides=dict(
        stage1=dict(config=_esol + 'cam_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py'),
        expand=dict(config=_esol + 'esol-expand_r50-v1c-d8_1xb10-5e_voc12aug-320x320.py'),
        shrink=dict(config=_esol + 'esol-shrink_r50-v1c-d8_1xb10-5e_voc12aug-320x320.py'),
    ),
)
