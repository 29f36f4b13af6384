# Ablation: fixed-delta DRS (0.55) in conv5 and the head only, plain ReLUs in conv1-conv4.
# On this benchmark the caps of conv3-conv4 erase the stand-in's object contrast before any
# training (tools/analysis_tools/object_contrast.py; README.md, "Why DRS 0.55 fails here"), so
# the paper's network (a suppressor after every conv) cannot learn; here the suppressors act only
# where the features are already object-level, which is where DRS is meant to spread the maps.
_base_ = ['./drs-learnable_vgg16-x0.25_1xb10-45e_synthetic-256x256.py']
suppressor = dict(type='DRS', delta=0.55, learnable=False)
model = dict(
    backbone=dict(act_cfg=suppressor, stage_with_act=(False, False, False, False, True)),
    decode_head=dict(act_cfg=suppressor),
)
