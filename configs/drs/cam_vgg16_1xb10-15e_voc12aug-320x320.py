# Plain-CAM baseline: the same network and recipe with ReLU instead of suppressors.
_base_ = ['./drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py']
model = dict(
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    decode_head=dict(act_cfg=dict(_delete_=True, type='ReLU')),
)
