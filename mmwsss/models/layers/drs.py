# Copyright (c) mmwsss contributors. All rights reserved.
"""The DRS suppressor (Kim et al., "Discriminative Region Suppression for
Weakly-Supervised Semantic Segmentation", AAAI 2021).

The suppressor replaces a ReLU: it rectifies its input, then clips every
activation at ``delta`` times the global maximum of its (sample, channel)
map, so that the most discriminative positions cannot dominate and the
network has to spread its evidence over the whole object.
"""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedParameter

from mmwsss.registry import ROOT_MODELS

_FILE = 'mmwsss/models/layers/drs.py'


class _LazySquareLinear(LazyModuleMixin, nn.Linear):
    """A bias-free ``C x C`` linear layer whose ``C`` is read from the first
    input (``nn.LazyLinear`` needs ``out_features`` up front, this one ties it
    to the input size).

    Becomes a plain ``nn.Linear`` once initialised, so checkpoints and the
    optimizer see an ordinary parameter (the ``UninitializedParameter`` is
    materialised in place: an optimizer built before the first forward keeps
    a valid reference to it).

    Args:
        init_std (float): Std of the normal initialisation. Default: 0.01.
    """

    cls_to_become = nn.Linear
    weight: UninitializedParameter

    def __init__(self, init_std: float = 0.01) -> None:
        super().__init__(0, 0, bias=False)
        self.init_std = init_std
        self.weight = UninitializedParameter()

    def reset_parameters(self) -> None:
        """Initialise the weight with N(0, init_std) once its shape is known."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            nn.init.normal_(self.weight, 0.0, self.init_std)

    # `input`, as torch's LazyLinear.initialize_parameters names it
    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialise the weight as ``(C, C)`` with ``C = input.shape[-1]``."""
        if self.has_uninitialized_params():
            channels = input.shape[-1]
            with torch.no_grad():
                self.in_features = channels
                self.out_features = channels
                self.weight.materialize((channels, channels))
                self.reset_parameters()


@ROOT_MODELS.register_module()
class DRS(nn.Module):
    """Discriminative region suppression, used in place of a ReLU.

    On a pre-activation input ``x`` of shape (B, C, H, W)::

        r = relu(x)
        m = max over (H, W) of r               # (B, C, 1, 1), not detached
        out = min(r, delta * m)

    - fixed variant (``learnable=False``): ``delta`` is the scalar argument;
      the layer has no parameters.
    - learnable variant (``learnable=True``): ``delta = sigmoid(W @ avg(r))``
      per sample and channel, ``W`` a ``C x C`` matrix without bias,
      initialised N(0, 0.01) (so ``delta`` starts near 0.5). ``W`` is stored
      as ``fc.weight`` (an ``nn.Linear``), matching the official code's name.

    The channel count ``C`` of the learnable variant comes from ``channels``
    or ``in_channels`` (the name mmcv's ``build_plugin_layer`` passes). With
    neither, ``W`` is created lazily from the first input
    (``torch.nn.modules.lazy``); run one forward before counting parameters,
    calling MMEngine's ``init_weights`` or wrapping the model in DDP.

    Registered in MMEngine's root ``MODELS`` so that
    ``mmcv.cnn.build_activation_layer(dict(type='DRS'))`` and
    ``ConvModule(..., act_cfg=dict(type='DRS'))`` find it in any scope.

    Args:
        delta (float): Suppression ratio of the fixed variant, in (0, 1].
            Ignored by the learnable variant. Default: 0.55.
        learnable (bool): Predict ``delta`` per sample and channel.
            Default: False.
        channels (int, optional): Number of input channels (learnable
            variant). Default: None.
        in_channels (int, optional): Alias of ``channels``. Default: None.
        init_std (float): Std of the N(0, std) init of ``W``. Default: 0.01.
        inplace (bool): Accepted for compatibility with ``ConvModule``, which
            passes it to every activation; the suppressor never works in
            place. Default: False.
    """

    _abbr_ = 'drs'  # name prefix used by mmcv's build_plugin_layer

    def __init__(
        self,
        delta: float = 0.55,
        learnable: bool = False,
        channels: Optional[int] = None,
        in_channels: Optional[int] = None,
        init_std: float = 0.01,
        inplace: bool = False,
    ) -> None:
        super().__init__()
        if channels is not None and in_channels is not None and channels != in_channels:
            raise ValueError(
                f'{_FILE}: DRS got channels={channels} and '
                f'in_channels={in_channels}; give one of them.'
            )
        channels = channels if channels is not None else in_channels
        if channels is not None and (not isinstance(channels, int) or channels <= 0):
            raise ValueError(f'{_FILE}: DRS channels must be a positive int, got {channels!r}.')
        if not learnable and not (isinstance(delta, (int, float)) and 0 < delta <= 1):
            raise ValueError(f'{_FILE}: DRS delta must be a number in (0, 1], got {delta!r}.')
        if init_std < 0:
            raise ValueError(f'{_FILE}: DRS init_std must be >= 0, got {init_std}.')
        self.learnable = bool(learnable)
        self.delta = float(delta)
        self.init_std = float(init_std)
        if self.learnable:
            if channels is None:
                self.fc = _LazySquareLinear(init_std=self.init_std)
            else:
                self.fc = nn.Linear(channels, channels, bias=False)
                nn.init.normal_(self.fc.weight, 0.0, self.init_std)
        else:
            self.fc = None

    @property
    def channels(self) -> Optional[int]:
        """Input channels of the learnable variant (None when fixed or not
        yet inferred)."""
        if self.fc is None or isinstance(self.fc, _LazySquareLinear):
            return None
        return self.fc.in_features

    def suppression_ratio(self, r: Tensor) -> Tensor:
        """The ratio ``delta`` applied to the per-channel maximum.

        Args:
            r (Tensor): Rectified input, shape (B, C, *spatial).

        Returns:
            Tensor: Shape (B, C, 1, ..., 1); a constant for the fixed variant.
        """
        view = r.shape[:2] + (1,) * (r.dim() - 2)
        if self.fc is None:
            return r.new_full(view, self.delta)
        avg = r.flatten(2).mean(dim=2)  # (B, C)
        if self.channels is not None and avg.shape[1] != self.channels:
            raise ValueError(
                f'{_FILE}: DRS was built for {self.channels} channels but got '
                f'an input with {avg.shape[1]} channels.'
            )
        return torch.sigmoid(self.fc(avg)).view(view)

    def forward(self, x: Tensor) -> Tensor:
        """Suppress the input.

        Args:
            x (Tensor): Pre-activation features, shape (B, C, H, W) (any
                number of trailing spatial dims >= 1).

        Returns:
            Tensor: Suppressed activations, same shape as ``x``.
        """
        if x.dim() < 3:
            raise ValueError(
                f'{_FILE}: DRS expects an input of shape (B, C, *spatial), '
                f'got shape {tuple(x.shape)}.'
            )
        r = F.relu(x)
        peak = r.flatten(2).amax(dim=2).view(r.shape[:2] + (1,) * (r.dim() - 2))
        return torch.minimum(r, peak * self.suppression_ratio(r))

    def extra_repr(self) -> str:
        if self.learnable:
            return f'learnable=True, channels={self.channels}'
        return f'delta={self.delta}'
