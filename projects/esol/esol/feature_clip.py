# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOL's feature clipping op, applied to the expansion sampler's output.

The paper names the op but its form is not public; ours is switchable:

- ``'relative'`` (default): ``min(x, tau * max_hw(x))`` per sample and channel, the DRS
  suppressor's form, so the peaks of the most discriminative positions are cut at a fraction of
  the channel's maximum;
- ``'absolute'``: ``min(x, value)``, a plain clamp at a fixed value.
"""

from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'projects/esol/esol/feature_clip.py'
_MODES = ('relative', 'absolute')


@MODELS.register_module()
class FeatureClip(nn.Module):
    """Clip feature maps from above (a plain ``nn.Module``: nothing to learn or initialise).

    Args:
        mode (str): ``'relative'`` or ``'absolute'`` (see the module docstring).
            Default: 'relative'.
        tau (float): Fraction of the per-(sample, channel) spatial maximum, in (0, 1]; used by
            ``'relative'``. 1 keeps the input unchanged. Default: 0.7.
        value (float, optional): The clamp value of ``'absolute'``. Default: None.
        detach_max (bool): Stop the gradient through the maximum in ``'relative'`` mode (DRS does
            not). Default: False.
    """

    def __init__(
        self,
        mode: str = 'relative',
        tau: float = 0.7,
        value: Optional[float] = None,
        detach_max: bool = False,
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'{_FILE}: FeatureClip mode must be one of {_MODES}, got {mode!r}.')
        if mode == 'relative' and not (isinstance(tau, (int, float)) and 0 < tau <= 1):
            raise ValueError(f'{_FILE}: FeatureClip tau must be in (0, 1], got {tau!r}.')
        if mode == 'absolute' and not isinstance(value, (int, float)):
            raise ValueError(
                f"{_FILE}: FeatureClip mode 'absolute' needs a number `value`, got {value!r}."
            )
        self.mode = mode
        self.tau = float(tau)
        self.value = value
        self.detach_max = detach_max

    def forward(self, x: Tensor) -> Tensor:
        """Clip features.

        Args:
            x (Tensor): Features (B, C, H, W), normally non-negative (after a ReLU).

        Returns:
            Tensor: Clipped features, shape (B, C, H, W).
        """
        if x.dim() != 4:
            raise ValueError(
                f'{_FILE}: FeatureClip expects (B, C, H, W) features, got shape {tuple(x.shape)}.'
            )
        if self.mode == 'absolute':
            return x.clamp(max=float(self.value))
        peak = x.amax(dim=(2, 3), keepdim=True)
        if self.detach_max:
            peak = peak.detach()
        return torch.minimum(x, self.tau * peak)

    def extra_repr(self) -> str:
        if self.mode == 'absolute':
            return f'mode=absolute, value={self.value}'
        return f'mode=relative, tau={self.tau}, detach_max={self.detach_max}'
