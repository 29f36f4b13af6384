# Copyright (c) mmwsss contributors. All rights reserved.
import importlib.util
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from stage1_helpers import NUM_IMAGES, REPO, write_stage1_config

from mmwsss.engine.hooks import PseudoLabelHook
from mmwsss.registry import HOOKS


def _tree(out_dir):
    found = {}
    for sub in ('maps', 'labels'):
        for name in sorted(os.listdir(osp.join(out_dir, sub))):
            path = osp.join(out_dir, sub, name)
            found[f'{sub}/{name}'] = (open(path, 'rb').read(), os.stat(path).st_mtime_ns)
    return found


def _runner(cfg_path, work_dir, **overrides):
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(overrides)
    return Runner.from_cfg(cfg)


def test_hook_is_registered_and_checks_arguments(tmp_path):
    hook = HOOKS.build(dict(type='PseudoLabelHook', dataset=dict(type='X'), out_dir='pl'))
    assert isinstance(hook, PseudoLabelHook) and hook.priority == 'VERY_LOW'
    with pytest.raises(ValueError, match='scales'):
        PseudoLabelHook(dataset=dict(type='X'), scales=(-1,))


def test_hook_writes_after_training_and_a_finished_rerun_skips(data_root, tmp_path):
    cfg = write_stage1_config(tmp_path / 'stage1.py', data_root)
    work = tmp_path / 'work'
    runner = _runner(cfg, work)
    runner.train()

    out = work / 'pl'  # relative out_dir: in the work dir
    first = _tree(out)
    assert len(first) == 2 * NUM_IMAGES
    metrics = json.loads((out / 'metrics.json').read_text())['metrics']
    for key in ('pseudo_label/mIoU', 'loc_map/mIoU', 'loc_map/best_mIoU'):
        assert runner.message_hub.get_scalar(key).current() == pytest.approx(metrics[key])
    assert (work / 'epoch_1.pth').is_file()

    # resuming the finished stage runs after_train again: nothing is rewritten, scores are redone
    (out / 'metrics.json').unlink()
    rerun = _runner(cfg, work, resume=True)
    rerun.train()
    assert _tree(out) == first
    assert json.loads((out / 'metrics.json').read_text())['metrics'] == pytest.approx(metrics)


def test_unwritable_out_dir_stops_before_training(data_root, tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    cfg = write_stage1_config(tmp_path / 'stage1.py', data_root, out_dir=str(blocker / 'pl'))
    runner = _runner(cfg, tmp_path / 'work')
    with pytest.raises(OSError, match='cannot write to the output folder'):
        runner.train()
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()


def test_missing_saliency_stops_before_training(data_root, tmp_path):
    cfg = write_stage1_config(tmp_path / 'stage1.py', data_root)
    os.remove(osp.join(data_root, 'SaliencyMap', 'train_00003.png'))
    cfg_obj = Config.fromfile(cfg)
    # the training set does not need saliency; only the hook's dataset does
    cfg_obj.train_dataloader.dataset.data_prefix = dict(
        img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path=None
    )
    cfg_obj.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg_obj)
    with pytest.raises(FileNotFoundError, match=r'SaliencyMap/train_00003\.png'):
        runner.train()
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()


def test_two_process_run_writes_what_one_process_writes(data_root, tmp_path):
    """torchrun x2 (gloo) trains a tiny stage 1 and generates; the tool, in one process, on the
    same checkpoint writes byte-identical maps and labels and the same scores."""
    cfg = write_stage1_config(tmp_path / 'stage1.py', data_root, batch_size=2)
    work = tmp_path / 'work'
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    proc = subprocess.run(
        [
            torchrun,
            '--nproc_per_node',
            '2',
            '--master_addr',
            '127.0.0.1',
            '--master_port',
            str(port),
            osp.join(REPO, 'tools', 'train.py'),
            cfg,
            '--work-dir',
            str(work),
            '--launcher',
            'pytorch',
        ],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    two = _tree(work / 'pl')
    assert len(two) == 2 * NUM_IMAGES

    spec = importlib.util.spec_from_file_location(
        'gen_pseudo_labels_tool', osp.join(REPO, 'tools', 'gen_pseudo_labels.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    metrics = tool.main([cfg, str(work / 'epoch_1.pth'), '--out-dir', str(tmp_path / 'one')])
    one = _tree(tmp_path / 'one')
    assert {k: v[0] for k, v in one.items()} == {k: v[0] for k, v in two.items()}
    two_metrics = json.loads((work / 'pl' / 'metrics.json').read_text())['metrics']
    assert two_metrics == pytest.approx(metrics)
