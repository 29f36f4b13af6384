# Copyright (c) mmwsss contributors. All rights reserved.
"""Gradient reversal: the identity forwards, ``-scale`` times the gradient backwards.

ESOL's expansion sampler learns its offsets by *maximising* the image-level classification loss
("inverse supervision") while the rest of the network minimises it. A reversal layer between the
offsets and the loss lets one optimizer minimising one loss do both.
"""

from typing import Any, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'projects/esol/esol/grad_reverse.py'


class _ReverseGrad(torch.autograd.Function):
    """``y = x``; ``dL/dx = -scale * dL/dy``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None]:
        return grad.neg() * ctx.scale, None


def reverse_grad(x: Tensor, scale: float = 1.0) -> Tensor:
    """Functional gradient reversal (see :class:`GradientReversal`)."""
    return _ReverseGrad.apply(x, float(scale))


@MODELS.register_module()
class GradientReversal(nn.Module):
    """Identity in the forward pass, gradient times ``-scale`` in the backward pass.

    A plain ``nn.Module``: it has no parameters to initialise.

    Args:
        scale (float): Magnitude of the reversed gradient (>= 0). 1 gives exact gradient ascent
            for everything before the layer; 0 blocks the gradient. Default: 1.0.
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale < 0:
            raise ValueError(
                f'{_FILE}: GradientReversal scale must be a number >= 0, got {scale!r}.'
            )
        self.scale = float(scale)

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x`` unchanged (any shape); its gradient comes back reversed and scaled."""
        return reverse_grad(x, self.scale)

    def extra_repr(self) -> str:
        return f'scale={self.scale}'
