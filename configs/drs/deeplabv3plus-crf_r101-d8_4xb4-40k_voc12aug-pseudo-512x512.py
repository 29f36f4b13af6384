# DRS stage 3 tested with a dense CRF, as the released DeepLabV3+ R101 (70.4 val, 71.0 with CRF):
# the plain segmentor's checkpoint, wrapped by DenseCRFSegmentor (official settings: 10 iterations,
# Gaussian 3/1, bilateral 4/67/3; needs pydensecrf2). Training it trains the plain segmentor.
#   python tools/test.py configs/drs/deeplabv3plus-crf_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py \
#       work_dirs/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-512x512/iter_40000.pth
_base_ = ['./deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-512x512.py']
model = dict(_delete_=True, type='DenseCRFSegmentor', segmentor={{_base_.model}})
