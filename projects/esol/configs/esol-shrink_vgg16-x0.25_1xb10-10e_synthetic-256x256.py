# ESOL shrinkage stage on the synthetic benchmark: starts from the expansion checkpoint (the
# pipeline sets model.init_cfg.checkpoint); only the shrinkage sampler's offsets learn, from the
# classification loss + the area loss; then the maps and pseudo labels (PseudoLabelHook, saliency
# rule) for stage 3 or the refinement.
_base_ = ['./esol-expand_vgg16-x0.25_1xb10-10e_synthetic-256x256.py']
expand_checkpoint = 'work_dirs/pipeline_esol_synthetic/expand/epoch_10.pth'
model = dict(stage='shrink', init_cfg=dict(checkpoint=expand_checkpoint))
optim_wrapper = dict(paramwise_cfg=dict(new_keys=['.shrinkage.']))
