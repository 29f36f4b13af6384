# Copyright (c) mmwsss contributors. All rights reserved.
"""The exponential moving average that keeps an ``ema`` SupportNet behind MainNet."""

from typing import Iterable, Tuple

import torch
from torch import Tensor

_FILE = 'projects/pixel_self_supervision/pixel_self_supervision/ema.py'


@torch.no_grad()
def ema_update_(
    target: Iterable[Tuple[str, Tensor]], source: Iterable[Tuple[str, Tensor]], momentum: float
) -> int:
    """In place: ``t <- momentum * t + (1 - momentum) * s`` for floating tensors, ``t <- s`` else.

    Args:
        target (Iterable[tuple[str, Tensor]]): Named tensors updated in place (SupportNet's
            parameters or buffers).
        source (Iterable[tuple[str, Tensor]]): Named tensors of the same names and shapes
            (MainNet's), in the same order.
        momentum (float): In [0, 1]; 1 keeps the target, 0 copies the source.

    Returns:
        int: How many tensors were updated.
    """
    if not 0 <= momentum <= 1:
        raise ValueError(f'{_FILE}: momentum must be in [0, 1], got {momentum}.')
    target, source = list(target), list(source)
    if [n for n, _ in target] != [n for n, _ in source]:
        raise ValueError(
            f'{_FILE}: SupportNet and MainNet differ in their tensors; an ema '
            "SupportNet must have MainNet's architecture."
        )
    for (name, t), (_, s) in zip(target, source):
        if t.shape != s.shape:
            raise ValueError(
                f'{_FILE}: {name} has shape {tuple(t.shape)} in SupportNet but '
                f'{tuple(s.shape)} in MainNet.'
            )
        if t.is_floating_point():
            t.mul_(momentum).add_(s.detach().to(t.dtype), alpha=1 - momentum)
        else:
            t.copy_(s)
    return len(target)
