# DRS refinement recipe: Adam lr 1e-4, 30 epochs, x0.1 when epochs 10 and 20 (1-indexed) begin.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
# The official decay points 10, 20 act when (1-indexed) epochs 10 and 20 begin: 9 / 10 / 11 epochs
# at 1, 0.1, 0.01 x lr, i.e. MMEngine milestones [9, 19].
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[9, 19], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30, val_interval=30)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
)
