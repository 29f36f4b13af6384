# Synthetic leaderboard row: DRS (fixed, delta 0.55) (see pipeline_drs_synthetic.py for the stages).
_base_ = ['./pipeline_drs_synthetic.py']
pipeline = dict(method='DRS (fixed, delta 0.55)', stage_overrides=dict(stage1=dict(config='configs/drs/drs-fixed0.55_vgg16-x0.25_1xb10-15e_synthetic-64x64.py')))
