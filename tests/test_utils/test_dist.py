# Copyright (c) mmwsss contributors. All rights reserved.
"""SLURM start-up without SLURM: the variables srun sets become torch.distributed's."""

import os
import subprocess
import sys

import pytest

import mmwsss.utils.dist as dist_utils
from mmwsss.utils.dist import first_slurm_host, slurm_env

SLURM = dict(SLURM_PROCID='3', SLURM_NTASKS='8', SLURM_LOCALID='1', SLURM_NODELIST='gpu[12-13]')


@pytest.mark.parametrize(
    'nodelist, host',
    [
        ('node07', 'node07'),
        ('node[03-05,9]', 'node03'),
        ('gpu[1-2],cpu4', 'gpu1'),
        ('a-b.c,d', 'a-b.c'),
        ('n[007]', 'n007'),
    ],
)
def test_first_host_of_a_node_list(nodelist, host):
    assert first_slurm_host(nodelist) == host


def test_slurm_variables_become_torch_ones(monkeypatch):
    monkeypatch.setattr(dist_utils.shutil, 'which', lambda name: None)  # no scontrol here
    assert slurm_env(SLURM) == dict(
        RANK='3', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='gpu12', MASTER_PORT='29500'
    )
    env = dict(SLURM, MASTER_ADDR='10.0.0.1', MASTER_PORT='1234')
    del env['SLURM_LOCALID']
    assert slurm_env(env) == dict(
        RANK='3', WORLD_SIZE='8', LOCAL_RANK='3', MASTER_ADDR='10.0.0.1', MASTER_PORT='1234'
    )
    with pytest.raises(RuntimeError, match=r"needs \['SLURM_NODELIST'\].*srun"):
        slurm_env(dict(SLURM_PROCID='0', SLURM_NTASKS='1'))
    with pytest.raises(RuntimeError, match='not below SLURM_NTASKS=2'):
        slurm_env(dict(SLURM, SLURM_NTASKS='2'))
    with pytest.raises(RuntimeError, match='must be integers'):
        slurm_env(dict(SLURM, SLURM_PROCID='x'))


def test_scontrol_names_the_master_where_slurm_has_it(monkeypatch):
    monkeypatch.setattr(dist_utils.shutil, 'which', lambda name: '/usr/bin/scontrol')

    def fake_run(cmd, **kwargs):
        assert cmd == ['scontrol', 'show', 'hostnames', 'gpu[12-13]']
        return subprocess.CompletedProcess(cmd, 0, stdout='gpu12\ngpu13\n', stderr='')

    monkeypatch.setattr(dist_utils.subprocess, 'run', fake_run)
    assert slurm_env(SLURM)['MASTER_ADDR'] == 'gpu12'


def test_slurm_launcher_creates_a_gloo_group_on_cpu(tmp_path):
    """One process as srun starts it: init_process_group_if_needed('slurm') makes the group."""
    code = (
        'import os, torch.distributed as dist\n'
        'from mmwsss.utils import init_process_group_if_needed\n'
        "init_process_group_if_needed('slurm')\n"
        'print(dist.get_backend(), dist.get_rank(), dist.get_world_size(), '
        "os.environ['LOCAL_RANK'], os.environ['MASTER_ADDR'])\n"
    )
    out = _run_launched(
        code,
        SLURM_PROCID='0',
        SLURM_NTASKS='1',
        SLURM_LOCALID='0',
        SLURM_NODELIST='localhost',
        PATH='/usr/bin:/bin',
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ['gloo', '0', '1', '0', 'localhost']


def test_the_group_is_destroyed_at_exit(tmp_path):
    """A launched process leaves no gloo group alive into interpreter teardown (where its threads
    can abort the rank after its work is done): the handler registered first runs last and sees
    no group; a second init (a pipeline's next stage) is harmless."""
    code = (
        'import atexit, torch.distributed as dist\n'
        'from mmwsss.utils import init_process_group_if_needed\n'
        "atexit.register(lambda: print('alive at exit:', dist.is_initialized()))\n"
        "init_process_group_if_needed('pytorch')\n"
        "init_process_group_if_needed('pytorch')\n"
        "print('alive before exit:', dist.is_initialized())\n"
    )
    out = _run_launched(code, RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1')
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ['alive before exit: True', 'alive at exit: False']


def _run_launched(code: str, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh CPU-only interpreter as a launcher would start it: no inherited
    SLURM / torch.distributed variables, a free master port, ``env_vars`` on top."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('SLURM_', 'MASTER_')) and k not in ('RANK', 'WORLD_SIZE')
    }
    env.update(MASTER_PORT=str(_free_port()), CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, '-c', code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=_root(),
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
