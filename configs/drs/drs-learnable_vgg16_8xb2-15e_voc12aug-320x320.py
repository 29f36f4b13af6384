# The learnable-DRS stage 1 on 8 GPUs x 2 images (batch 16): lr scaled linearly from batch 10.
_base_ = ['./drs-learnable_vgg16_1xb10-15e_voc12aug-320x320.py']
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=1.6e-3))
