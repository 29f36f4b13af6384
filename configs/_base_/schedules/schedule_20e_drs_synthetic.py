# The DRS stage-1 schedule on the synthetic benchmark: the same optimizer, lr (1e-3) and lr multipliers as
# VOC, but 20 epochs with one x0.1 step at 15: with the suppressors the narrow network needs ~400
# iterations at the full lr to leave chance level here (at lr 1e-2 it never did).
_base_ = ['./schedule_15e_drs.py']
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[15], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=20)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=2))
