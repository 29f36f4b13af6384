# DRS stage 1 with the fixed suppressor, delta = 0.55 (no extra parameters).
_base_ = ['./drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(backbone=dict(act_cfg=suppressor), decode_head=dict(act_cfg=suppressor))
