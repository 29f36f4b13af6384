# RCM + MAM with a shared SupportNet: MainNet's own outputs (same and rescaled inputs) are the
# targets, without gradient; the losses ramp up over the first 200 of the 800 iterations.
_base_ = ['./rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
model = dict(support_mode='shared', support_checkpoint=None, warmup_iters=200)
