# Destruction learning (LLDM + MDCM, VGG16) through the paper's DRS pipeline on PASCAL VOC 2012 aug
# (configs/drs/pipelines/pipeline_drs_voc12aug.py: needs the dataset, saliency maps and the
# converted torchvision VGG16 weights): stage 1 swapped for the destruction-learning classifier,
# then the refinement on its maps and DeepLabV3+ R101 on the refined pseudo labels.
#   torchrun --nproc_per_node 8 tools/run_pipeline.py \
#       projects/destruction_learning/configs/pipelines/pipeline_lldm-mdcm_voc12aug.py \
#       --launcher pytorch
_base_ = ['../../../../configs/drs/pipelines/pipeline_drs_voc12aug.py']
pipeline = dict(
    method='Destruction learning: CAM + LLDM + MDCM',
    backbone='VGG16',
    stage_overrides=dict(
        stage1=dict(
            config='projects/destruction_learning/configs/'
            'lldm-mdcm_vgg16_1xb10-15e_voc12aug-320x320.py'
        )
    ),
)
