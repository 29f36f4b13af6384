# Copyright (c) mmwsss contributors. All rights reserved.
"""Save a trained backbone as a stand-alone pretrained-weights file (as torchvision's ImageNet
weights)."""

import os
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS

__all__ = ['ExportBackboneHook']


@HOOKS.register_module()
class ExportBackboneHook(Hook):
    """After training, write ``{'state_dict': {'backbone.<key>': tensor}}`` to ``out_file``.

    The next stage loads it with ``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix='backbone.')``. With ``fold_norms`` the backbone's ``folded_state_dict()`` is saved (e.g.
    ``DRSVGG`` pretrained with BN becomes the plain VGG16 topology DRS uses). Written on rank 0
    through a temporary file.

    Args:
        out_file (str): Output path, relative to the work dir unless absolute.
            Defaults to ``'backbone.pth'``.
        fold_norms (bool): Fold norm layers into the convs. Defaults to True.
    """

    priority = 'LOW'

    def __init__(self, out_file: str = 'backbone.pth', fold_norms: bool = True) -> None:
        self.out_file = out_file
        self.fold_norms = fold_norms

    def after_train(self, runner) -> None:
        if not is_main_process():
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        backbone = getattr(model, 'backbone', None)
        if backbone is None:
            raise AttributeError(f'ExportBackboneHook: {type(model).__name__} has no backbone')
        if self.fold_norms:
            if not hasattr(backbone, 'folded_state_dict'):
                raise TypeError(
                    f'ExportBackboneHook: {type(backbone).__name__} cannot fold its norms '
                    '(no folded_state_dict); set fold_norms=False'
                )
            was_training = backbone.training
            backbone.eval()
            state = backbone.folded_state_dict()
            backbone.train(was_training)
        else:
            state = backbone.state_dict()
        out: Optional[str] = self.out_file
        if not osp.isabs(out):
            out = osp.join(runner.work_dir, out)
        os.makedirs(osp.dirname(out), exist_ok=True)
        tmp = f'{out}.tmp{os.getpid()}'
        torch.save(
            dict(
                state_dict={f'backbone.{k}': v.cpu() for k, v in state.items()},
                meta=dict(source=runner.work_dir, epoch=runner.epoch, iter=runner.iter),
            ),
            tmp,
        )
        os.replace(tmp, out)
        print_log(
            f'ExportBackboneHook: wrote {len(state)} backbone tensors to {out}', logger='current'
        )
