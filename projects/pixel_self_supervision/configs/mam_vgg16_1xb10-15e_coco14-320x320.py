# MainNet/SupportNet with the Multi-scale Attentive Module only (COCO 2014, frozen SupportNet).
_base_ = ['./rcm-mam_vgg16_1xb10-15e_coco14-320x320.py']
model = dict(rcm=None)
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['decode_head.', '.fc']))
