# Plain-CAM baseline on the synthetic benchmark (ReLU everywhere, same recipe).
_base_ = ['./drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
model = dict(
    backbone=dict(act_cfg=dict(_delete_=True, type='ReLU')),
    decode_head=dict(act_cfg=dict(_delete_=True, type='ReLU')),
)
