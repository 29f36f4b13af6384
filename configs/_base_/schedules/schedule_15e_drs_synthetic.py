# The DRS stage-1 schedule on the synthetic benchmark: same optimizer and lr multipliers,
# 15 epochs with x0.1 at 5 and 10; a higher base lr as the narrow network is trained on 400 images.
_base_ = ['./schedule_15e_drs.py']
optim_wrapper = dict(optimizer=dict(lr=1e-2))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1))
