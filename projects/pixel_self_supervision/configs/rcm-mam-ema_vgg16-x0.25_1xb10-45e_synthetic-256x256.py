# RCM + MAM with an EMA SupportNet (a momentum copy of MainNet, no stage-1 checkpoint needed).
# SupportNetEMAHook moves it after every optimizer step; the self-supervision losses ramp up over
# the first 200 of the 800 iterations, while the copy is still as untrained as MainNet.
_base_ = ['./rcm-mam_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
model = dict(support_mode='ema', support_checkpoint=None, ema_momentum=0.99, warmup_iters=200)
custom_hooks = _base_.custom_hooks + [dict(type='SupportNetEMAHook', interval=1)]
