# MainNet/SupportNet with the Regional Contrastive Module only (synthetic benchmark, frozen
# SupportNet).
_base_ = ['./rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
model = dict(mam=None)
