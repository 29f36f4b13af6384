# Fixed-delta DRS (0.55) in the quarter-width ResNet-50 V1c on the synthetic benchmark.
_base_ = ['./drs-learnable_r50-v1c-w16-d8_1xb10-45e_synthetic-192x192.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(backbone=dict(act_cfg=suppressor), head=dict(act_cfg=suppressor))
