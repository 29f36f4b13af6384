# Copyright (c) mmwsss contributors. All rights reserved.
"""Run a training stage with the model's weights in channels_last memory format."""

from typing import Union

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS

__all__ = ['ChannelsLastHook']


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model's 4-d weights to channels_last before training (and before a test run).

    With bf16 autocast on a CPU, oneDNN runs convolutions much faster on channels_last weights
    (measured by ``tools/analysis_tools/benchmark.py``: a paper-size DRS-VGG16 training step 2.1x
    fp32 with them, 1.3x without; ``docs/benchmark.md``); the inputs are left alone (converting
    them too was slower). The parameters stay the same objects, so the optimizer is unaffected, and
    values are unchanged: checkpoints load either way. ``mmwsss.utils.precision`` adds this hook
    wherever it switches a CPU stage to bf16.

    Args:
        enabled (bool | str): True, False, or 'auto' (only when the training runs under bf16
            autocast on the CPU, i.e. its optimizer wrapper casts to bf16 and CUDA is absent).
            Defaults to 'auto'.
    """

    priority = 'VERY_HIGH'

    def __init__(self, enabled: Union[bool, str] = 'auto') -> None:
        if enabled not in ('auto', True, False):
            raise ValueError(
                f"ChannelsLastHook: enabled must be 'auto', True or False, got {enabled!r}."
            )
        self.enabled = enabled

    def _wanted(self, runner) -> bool:
        if self.enabled != 'auto':
            return self.enabled
        if torch.cuda.is_available():
            return False
        wrapper = getattr(runner, 'optim_wrapper', None)
        return getattr(wrapper, 'cast_dtype', None) == torch.bfloat16

    def _convert(self, runner) -> None:
        if not self._wanted(runner):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
        print_log('ChannelsLastHook: model weights in channels_last format', logger='current')

    def before_train(self, runner) -> None:
        """Convert before the first iteration (after a resume has loaded the weights)."""
        self._convert(runner)
