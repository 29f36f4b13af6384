# MainNet/SupportNet with the Multi-scale Attentive Module only (synthetic benchmark, frozen
# SupportNet).
_base_ = ['./rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
model = dict(rcm=None)
# no projection head: the DRS lr multipliers as in the plain-CAM config
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['decode_head.', '.fc']))
