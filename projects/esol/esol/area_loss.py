# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOL's area loss: the mean of the normalised localization maps of the classes present.

The shrinkage stage adds it to the classification loss so that the maps drop the false-positive
background the expansion attended. Its exact form is not public; ours: for every image ``b`` and
present class ``c``, ``area[b, c] = mean_hw(relu(cam) / (max_hw(relu(cam)) + eps))``, averaged
over the present (image, class) pairs and times ``loss_weight``.
"""

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'projects/esol/esol/area_loss.py'


def normalised_area(cams: Tensor, eps: float = 1e-5, detach_max: bool = False) -> Tensor:
    """Area of every class map normalised to a maximum of (about) 1.

    Args:
        cams (Tensor): Class activation maps (B, K, h, w) before any rectification.
        eps (float): Added to the maximum. Default: 1e-5.
        detach_max (bool): Stop the gradient through the maximum. Default: False.

    Returns:
        Tensor: Areas in [0, 1), shape (B, K).
    """
    maps = F.relu(cams)
    peak = maps.amax(dim=(2, 3), keepdim=True)
    if detach_max:
        peak = peak.detach()
    return (maps / (peak + eps)).mean(dim=(2, 3))


@MODELS.register_module()
class ESOLAreaLoss(nn.Module):
    """Area loss on class activation maps (a plain ``nn.Module``, nothing to learn).

    Args:
        loss_weight (float): Weight of the loss. Default: 0.1.
        eps (float): Added to the per-map maximum. Default: 1e-5.
        detach_max (bool): Stop the gradient through the maximum (then only lowering the map
            everywhere, not sharpening its peak, reduces the loss). Default: False.
        loss_name (str): Key in the loss dict. Default: 'loss_area'.
    """

    def __init__(
        self,
        loss_weight: float = 0.1,
        eps: float = 1e-5,
        detach_max: bool = False,
        loss_name: str = 'loss_area',
    ) -> None:
        super().__init__()
        if not isinstance(loss_weight, (int, float)) or loss_weight < 0:
            raise ValueError(
                f'{_FILE}: ESOLAreaLoss loss_weight must be a number >= 0, got {loss_weight!r}.'
            )
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"{_FILE}: ESOLAreaLoss loss_name must start with 'loss_' "
                f'(MMEngine only sums such keys), got {loss_name!r}.'
            )
        self.loss_weight = float(loss_weight)
        self.eps = eps
        self.detach_max = detach_max
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, cams: Tensor, labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            cams (Tensor): Class activation maps (B, K, h, w).
            labels (Tensor): Multi-hot image-level labels (B, K); only present classes count.

        Returns:
            Tensor: Scalar loss (0 when no class is present).
        """
        if cams.dim() != 4 or labels.shape != cams.shape[:2]:
            raise ValueError(
                f'{_FILE}: ESOLAreaLoss expects cams (B, K, h, w) and labels (B, K), '
                f'got {tuple(cams.shape)} and {tuple(labels.shape)}.'
            )
        area = normalised_area(cams, self.eps, self.detach_max)
        labels = labels.to(area)
        return (area * labels).sum() / labels.sum().clamp(min=1) * self.loss_weight
