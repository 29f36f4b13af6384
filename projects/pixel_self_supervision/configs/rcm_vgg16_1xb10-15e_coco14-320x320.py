# MainNet/SupportNet with the Regional Contrastive Module only (COCO 2014, frozen SupportNet).
_base_ = ['./rcm-mam_vgg16_1xb10-15e_coco14-320x320.py']
model = dict(mam=None)
