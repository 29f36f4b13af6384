# Copyright (c) mmwsss contributors. All rights reserved.
"""A test-only hook: SIGKILL the training (its whole process group) at a chosen iteration, once."""

import os
import os.path as osp
import signal
from typing import Optional

from mmengine.hooks import Hook

from mmwsss.registry import HOOKS


@HOOKS.register_module()
class KillHook(Hook):
    """Kill the process group with SIGKILL before iteration ``batch_idx`` of epoch ``epoch``.

    No clean-up of any kind runs (no hook, no checkpoint, no ``finally``): the process, its
    data-loader workers and, under torchrun, the launcher and the other ranks die at once. Start
    the training in its own session (``start_new_session=True``) so the test survives.

    Args:
        epoch (int): 0-based epoch in which to kill.
        batch_idx (int): Iteration within that epoch. Defaults to 1 (mid-epoch).
        marker (str, optional): Kill only if this file does not exist yet, and create it first
            (so a re-run with the same config trains through). Defaults to None (always kill).
    """

    def __init__(self, epoch: int, batch_idx: int = 1, marker: Optional[str] = None) -> None:
        self.epoch = epoch
        self.batch_idx = batch_idx
        self.marker = marker

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.epoch != self.epoch or batch_idx != self.batch_idx:
            return
        if self.marker is not None:
            if osp.exists(self.marker):
                return
            with open(self.marker, 'w') as f:
                f.write(f'killed in epoch {runner.epoch}, iteration {batch_idx}\n')
        os.killpg(os.getpgrp(), signal.SIGKILL)
