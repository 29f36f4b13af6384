# Fixed-delta DRS (0.55) in every activation of ResNet-50 V1c and of the CAM head; no new keys.
_base_ = ['./drs-learnable_r50-v1c-d8_1xb10-15e_voc12aug-320x320.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(backbone=dict(act_cfg=suppressor), decode_head=dict(act_cfg=suppressor))
