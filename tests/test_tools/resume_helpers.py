# Copyright (c) mmwsss contributors. All rights reserved.
"""Shared by the resume tests: run tools/train.py (optionally killed), compare training states."""

import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
from typing import Any, List, Optional

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))  # kill_hook.py
KILLED = -signal.SIGKILL

# Not training state: wall-clock timings, the run's name and time, the config text (the killed
# run's config holds the KillHook), and paths under the work dir.
VOLATILE_SCALARS = ('train/time', 'train/data_time')
VOLATILE_INFO = ('cfg', 'experiment_name', 'last_ckpt', 'eta', 'time', 'mmengine_version')


def run(cmd: List[str], expect: int = 0, **env: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` in the repository root in its own session (a KillHook kills the whole group)."""
    out = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
        env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([ROOT, HERE]), **env),
    )
    assert out.returncode == expect, (
        f'exit {out.returncode}, expected {expect}\n' + out.stdout[-3000:] + out.stderr[-3000:]
    )
    return out


def train_cmd(config: str, work_dir: str, nproc: int = 1, port: Optional[int] = None) -> List[str]:
    """tools/train.py in one process, or under torchrun with ``nproc`` gloo ranks."""
    if nproc == 1:
        return [sys.executable, osp.join(ROOT, 'tools/train.py'), config, '--work-dir', work_dir]
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    return [
        torchrun,
        '--nproc_per_node',
        str(nproc),
        '--master_addr',
        '127.0.0.1',
        '--master_port',
        str(port),
        osp.join(ROOT, 'tools/train.py'),
        config,
        '--work-dir',
        work_dir,
        '--launcher',
        'pytorch',
    ]


def write_configs(tmp_path, name: str, lines: List[str], kill_epoch: int = 2) -> tuple:
    """``<name>.py`` from ``lines`` and ``<name>_killed.py``, the same plus a KillHook.

    ``lines`` must set ``custom_hooks`` (a list) and import ``kill_hook`` in ``custom_imports``.
    """
    config = tmp_path / f'{name}.py'
    config.write_text('\n'.join(lines) + '\n')
    killed = tmp_path / f'{name}_killed.py'
    killed.write_text(
        '\n'.join(
            [
                f"_base_ = ['./{name}.py']",
                f"custom_hooks = _base_.custom_hooks + [dict(type='KillHook', epoch={kill_epoch})]",
            ]
        )
        + '\n'
    )
    return str(config), str(killed)


def kill_and_resume(
    config: str,
    killed: str,
    work_dir: str,
    epochs: int,
    kill_epoch: int = 2,
    nproc: int = 1,
    port: Optional[int] = None,
) -> str:
    """Train ``killed`` until its KillHook's SIGKILL, then ``config`` with ``--resume``.

    Returns:
        str: The final checkpoint ``epoch_<epochs>.pth``.
    """
    if nproc == 1:
        run(train_cmd(killed, work_dir), expect=KILLED)
    else:  # the ranks run in their own process groups: torchrun survives and reports them
        out = run(train_cmd(killed, work_dir, nproc, port), expect=1)
        assert 'Signal 9 (SIGKILL) received' in out.stdout + out.stderr
    assert osp.isfile(osp.join(work_dir, f'epoch_{kill_epoch}.pth'))
    assert not osp.exists(osp.join(work_dir, f'epoch_{kill_epoch + 1}.pth'))
    out = run(train_cmd(config, work_dir, nproc, port) + ['--resume'])
    assert f'resumed epoch: {kill_epoch}' in (out.stdout + out.stderr).lower()
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def last_val_metrics(work_dir: str) -> dict:
    """The metrics of the last validation a run logged (LocalVisBackend's scalars.json)."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    for path in reversed(logs):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        vals = [r for r in records if 'mIoU' in r or 'multi-label/mAP' in r]
        if vals:
            return {k: v for k, v in vals[-1].items() if 'time' not in k}
    raise AssertionError(f'no validation logged under {work_dir}')


def assert_identical(a: Any, b: Any, where: str) -> None:
    """Exact equality of nested checkpoint content (tensors, arrays, containers, objects)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), f'{where}: keys {set(a) ^ set(b)}'
        for key in a:
            assert_identical(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f'{where}[{i}]')
    elif hasattr(a, '__dict__') and not isinstance(a, type):
        assert type(a) is type(b), where
        assert_identical(vars(a), vars(b), where)
    else:
        assert a == b, f'{where}: {a!r} != {b!r}'


def assert_same_training_state(straight_path: str, resumed_path: str) -> None:
    """Everything a run resumes from is bit-identical: weights (EMA copies are part of the model),
    optimizer, parameter schedulers, message hub (losses, lr, counters) and the loop position."""
    straight, resumed = load(straight_path), load(resumed_path)
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert (key in straight) == (key in resumed), key
        if key in straight:
            assert_identical(straight[key], resumed[key], key)
    assert straight['state_dict'], 'no weights saved'
    hubs = straight['message_hub'], resumed['message_hub']
    scalars = [
        {k: v for k, v in hub['log_scalars'].items() if k not in VOLATILE_SCALARS} for hub in hubs
    ]
    assert any('loss' in k for k in scalars[0]), list(scalars[0])
    assert_identical(scalars[0], scalars[1], 'message_hub.log_scalars')
    infos = [
        {k: v for k, v in hub['runtime_info'].items() if k not in VOLATILE_INFO} for hub in hubs
    ]
    assert_identical(infos[0], infos[1], 'message_hub.runtime_info')
    for key in ('epoch', 'iter', 'seed', 'dataset_meta'):
        assert_identical(straight['meta'].get(key), resumed['meta'].get(key), f'meta.{key}')
