# Copyright (c) mmwsss contributors. All rights reserved.
"""The arguments the entry points share and the config they make."""

import argparse
import os
import os.path as osp

import pytest
import torch

from mmwsss.utils import add_common_args, add_sample_args, setup_cfg


def _parse(argv, **kwargs):
    parser = add_common_args(argparse.ArgumentParser(), **kwargs)
    parser.add_argument('checkpoint', nargs='?')  # a tool's own positional comes after the config
    return parser.parse_args(argv)


def test_runner_config_gets_work_dir_options_and_launcher(tmp_path, monkeypatch):
    config = tmp_path / 'my_stage.py'
    config.write_text("model = dict(norm_cfg=dict(type='SyncBN'))\nwork_dir = None\n")
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = _parse([str(config), 'ckpt.pth', '--cfg-options', 'a=1', '--local-rank', '3'])
    assert args.checkpoint == 'ckpt.pth' and args.launcher == 'none'
    cfg = setup_cfg(args)
    assert cfg.a == 1 and cfg.launcher == 'none'
    assert cfg.work_dir == osp.join('./work_dirs', 'my_stage')
    assert cfg.model.norm_cfg.type == ('SyncBN' if torch.cuda.is_available() else 'BN')
    assert os.environ['LOCAL_RANK'] == '3'
    cfg = setup_cfg(_parse([str(config), '--work-dir', str(tmp_path / 'w')]))
    assert cfg.work_dir == str(tmp_path / 'w')


def test_sample_args_default_and_refuse_non_positive_counts(capsys):
    parser = add_sample_args(argparse.ArgumentParser(), num=40, split='train')
    args = parser.parse_args([])
    assert (args.num, args.split, args.batch_size) == (40, 'train', 8)
    assert parser.parse_args(['--num', '3', '--split', 'val']).num == 3
    for bad in (['--num', '0'], ['--batch-size', '-1'], ['--split', 'dev']):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    assert 'must be a positive integer, got -1' in capsys.readouterr().err


def test_analysis_tools_get_only_the_config_and_its_options(tmp_path):
    config = tmp_path / 'c.py'
    config.write_text('x = 1\n')
    args = _parse([str(config), '--cfg-options', 'x=2'], runner=False)
    assert not hasattr(args, 'launcher') and not hasattr(args, 'work_dir')
    assert setup_cfg(args, for_runner=False).x == 2
    with pytest.raises(FileNotFoundError, match='missing.py does not exist'):
        setup_cfg(_parse([str(tmp_path / 'missing.py')], runner=False), for_runner=False)
    with pytest.raises(SystemExit):
        _parse([str(config), '--launcher', 'ssh'])
