# Copyright (c) mmwsss contributors. All rights reserved.
"""A test-only hook: every rank saves its model's weights at the start and end of training."""

import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS


@HOOKS.register_module()
class RankDumpHook(Hook):
    """Writes ``<work_dir>/rank<r>_{start,end}.pth`` (the bare model's state dict)."""

    def _dump(self, runner, when: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}_{when}.pth'))

    def before_train(self, runner) -> None:
        self._dump(runner, 'start')

    def after_train(self, runner) -> None:
        self._dump(runner, 'end')
