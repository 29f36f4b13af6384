# Copyright (c) mmwsss contributors. All rights reserved.
"""The hook that moves an ``ema`` SupportNet towards MainNet after each optimizer step."""

from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS

_FILE = 'projects/pixel_self_supervision/pixel_self_supervision/support_ema_hook.py'


@HOOKS.register_module()
class SupportNetEMAHook(Hook):
    """Call ``model.update_support_net()`` after every ``interval`` training iterations.

    A hook, not MMEngine's ``EMAHook``: that one swaps the averaged weights into the model for
    validation and checkpoints, whereas here the average is a separate network (SupportNet) that
    only produces training targets. Runs on every rank after the optimizer step, so all ranks
    apply the same update to the same weights (see ``MainSupportCAMClassifier``).

    Args:
        interval (int): Iterations between updates; with gradient accumulation set it to the
            optimizer wrapper's ``accumulative_counts`` (one update per optimizer step).
            Defaults to 1.
        momentum (float, optional): Overrides the model's ``ema_momentum``. Defaults to None.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1, momentum: Optional[float] = None) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'{_FILE}: interval must be a positive int, got {interval!r}.')
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f'{_FILE}: momentum must be in [0, 1], got {momentum}.')
        self.interval = interval
        self.momentum = momentum

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if getattr(model, 'support_mode', None) != 'ema':
            raise TypeError(
                f"{_FILE}: SupportNetEMAHook needs a model with support_mode='ema' "
                f'(MainSupportCAMClassifier); got {type(model).__name__} with '
                f'support_mode={getattr(model, "support_mode", None)!r}.'
            )

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            self._model(runner).update_support_net(self.momentum)
