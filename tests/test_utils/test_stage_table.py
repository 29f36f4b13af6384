# Copyright (c) mmwsss contributors. All rights reserved.
"""The per-stage table that a pipeline run (and `make demo`) prints."""
from mmwsss.utils.stage_table import format_stage_table


def test_one_row_per_record_and_missing_values_as_dashes():
    summary = dict(
        method='DRS', pipeline='configs/drs/p.py', dataset='synthetic', seed=0, stages=[
            dict(stage='pretrain', kind='pretrain', split='val', metrics=dict(mIoU=77.0),
                 params=1234567, train_time_s=60.4),
            dict(stage='stage1', kind='localization', split='train', metrics=dict(mIoU=40.61),
                 params=None),
            dict(stage='refine', kind='pseudo_label', split='train', metrics={}),
        ])
    lines = format_stage_table(summary).splitlines()
    assert lines[0] == 'DRS (configs/drs/p.py, synthetic, seed 0)'
    rows = lines[4:]
    assert rows[0] == '| pretrain | pretraining (ImageNet stand-in) | val | - | 1,234,567 | 60 |'
    assert rows[1] == '| stage1 | localization maps | train | 40.61 | - | - |'
    assert rows[2] == '| refine | pseudo labels | train | - | - | - |'
