# DRS stage-1 recipe: SGD Nesterov, wd 5e-4, lr 1e-3; x1/x2 for pretrained weights/biases and
# x10/x20 for new weights/biases (extra convs, classifier, suppressor fc); x0.1 when epochs 5 and 10
# begin; 15 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, nesterov=True, weight_decay=5e-4),
    constructor='DRSOptimWrapperConstructor',
    paramwise_cfg=dict(
        new_keys=['decode_head.', '.fc'],
        lr_mult=1.0,
        bias_lr_mult=2.0,
        new_lr_mult=10.0,
        new_bias_lr_mult=20.0,
    ),
)
# The official reduce_lr lowers the lr when (1-indexed) epochs 5 and 10 begin: 4 / 5 / 6 epochs at
# 1, 0.1, 0.01 x lr. MMEngine's milestone m lowers it after m epochs: [4, 9].
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[4, 9], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=15, val_interval=15)
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
