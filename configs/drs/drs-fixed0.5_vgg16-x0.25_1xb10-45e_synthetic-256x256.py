# Fixed-delta DRS (0.5) on the synthetic benchmark: a point of the delta sweep, and the ratio the
# learnable suppressor starts from (sigmoid(0)).
_base_ = ['./drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
suppressor = dict(type='DRS', delta=0.5, learnable=False)
model = dict(backbone=dict(act_cfg=suppressor), decode_head=dict(act_cfg=suppressor))
