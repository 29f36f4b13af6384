# MainNet/SupportNet with the Regional Contrastive Module only (VOC12 aug, frozen SupportNet).
_base_ = ['./rcm-mam_vgg16_1xb10-15e_voc12aug-320x320.py']
model = dict(mam=None)
