# RCM + MAM on VOC12 aug with an EMA SupportNet (momentum 0.999 over ~15.9k iterations; the losses
# ramp up over the first 1,000).
_base_ = ['./rcm-mam_vgg16_1xb10-15e_voc12aug-320x320.py']
model = dict(support_mode='ema', support_checkpoint=None, ema_momentum=0.999, warmup_iters=1000)
custom_hooks = _base_.custom_hooks + [dict(type='SupportNetEMAHook', interval=1)]
