# Copyright (c) mmwsss contributors. All rights reserved.
"""ESOL's samplers: a learned offset field feeding a deformable convolution with fixed weights.

A sampler maps features ``x`` (B, C, H, W) to features of the same shape::

    offsets = offset_conv(x.detach())                  # (B, 2 * k * k, H, W), zero-initialised
    y = deform_conv2d(x, offsets, W)                   # mmcv.ops, W fixed (a buffer)

so only the offset conv learns; the gradient reaches neither ``W`` nor, through the offsets, the
network that produced ``x``. With zero offsets the sampler is the plain convolution
``conv2d(x, W)``. ``W`` is depthwise (C, 1, k, k) for the 'identity' and 'mean' kernels (each
channel resampled on its own, cheap even at 2048 channels) and dense (C, C, k, k) when copied
from a conv of the network.

The *expansion* sampler puts a gradient-reversal layer on the offsets (they ascend the loss the
rest of the network descends); the *shrinkage* sampler learns its offsets by plain descent.

Offsets are in feature pixels, laid out as mmcv (and torchvision) expect: channel ``2 * t`` is the
vertical and ``2 * t + 1`` the horizontal shift of kernel tap ``t`` (taps in row-major order).

Precision: mmcv 2.1's deformable-conv kernels exist for float32, float64 and float16 (CPU and CUDA)
but not for bfloat16, which is what ``torch.autocast`` gives on CPU (``--amp``, precision 'auto').
:func:`deformable_conv` therefore runs the kernel in float32 with autocast off whenever mmcv has
no (usable) kernel for the incoming dtype: bfloat16 anywhere, float16 on CPU. float16 on CUDA
(the usual ``--amp`` there) is left to mmcv as before. The offset bounds are computed in float32
too: in bfloat16 the sum ``position + offset`` is quantised to a quarter pixel from position 32.
"""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import deform_conv2d
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS
from .grad_reverse import reverse_grad

_FILE = 'projects/esol/esol/deform_sampler.py'
WEIGHT_INITS = ('identity', 'mean', 'copy')


def _largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is <= ``limit`` (mmcv needs batch % im2col_step == 0)."""
    for d in range(min(n, limit), 0, -1):
        if n % d == 0:
            return d
    return 1


def fixed_sampler_weight(channels: int, kernel_size: int, mode: str) -> Tensor:
    """A fixed kernel that keeps channels apart.

    Args:
        channels (int): C.
        kernel_size (int): k (odd).
        mode (str): ``'identity'`` (depthwise, 1 at the centre tap: at zero offsets the sampler
            returns its input), ``'mean'`` (depthwise, 1 / k^2 at every tap: at zero offsets a
            k x k box average; the k^2 sampling points then move apart) or ``'copy'`` (dense, the
            identity until a weight is copied in).

    Returns:
        Tensor: Shape (C, 1, k, k) ('identity', 'mean') or (C, C, k, k) ('copy').
    """
    if mode == 'copy':
        weight = torch.zeros(channels, channels, kernel_size, kernel_size)
        idx = torch.arange(channels)
        weight[idx, idx, kernel_size // 2, kernel_size // 2] = 1.0
        return weight
    weight = torch.zeros(channels, 1, kernel_size, kernel_size)
    if mode == 'mean':
        weight.fill_(1.0 / kernel_size**2)
    else:
        weight[:, :, kernel_size // 2, kernel_size // 2] = 1.0
    return weight


@MODELS.register_module()
class DeformableSampler(BaseModule):
    """Offset conv (zero-initialised) + deformable conv with fixed weights (see the module doc).

    A ``BaseModule`` so it sits in MMEngine's ``init_weights`` chain; its own initialisation
    (zero offsets, the fixed kernel) happens in the constructor and is not overwritten by
    ``init_cfg`` unless one is given.

    Args:
        in_channels (int): Feature channels C (output channels are the same).
        kernel_size (int): Size k of the deformable kernel (odd). Default: 3.
        dilation (int): Dilation of the deformable kernel (padding follows). Default: 1.
        weight_init (str): The fixed kernel ``W``: ``'identity'``, ``'mean'`` (depthwise, see
            :func:`fixed_sampler_weight`) or ``'copy'`` (dense, copied by the segmentor from the
            parameter named ``weight_source``, after the checkpoints are loaded). Default: 'mean'.
        weight_source (str, optional): For ``'copy'``: a parameter name of the segmentor, e.g.
            ``'backbone.features.28.weight'`` (DRS-VGG16's last conv); it must have shape
            (C, C, k, k). Default: None.
        offset_kernel_size (int): Kernel of the offset conv (odd). Default: 3.
        max_offset (float, optional): Bound the offsets softly to (-max_offset, max_offset)
            feature pixels with ``max_offset * tanh(raw / max_offset)``. Default: None (unbounded).
        keep_inside (bool): Clamp every sampling point to the feature map, unless its base
            position already lies outside (the zero padding at the border), so that the sampler
            cannot read padding its plain convolution would not read. Default: True.
        grad_scale (float, optional): A gradient-reversal layer with this scale on the offsets
            (the expansion sampler's inverse supervision); None for plain descent.
            Default: None.
        im2col_step (int): Upper bound of mmcv's ``im2col_step`` (the batch is split into
            chunks whose size divides it). Default: 32.
        init_cfg (dict, optional): Initialisation config. Default: None.
    """

    def __init__(
        self,
        in_channels: int,
        kernel_size: int = 3,
        dilation: int = 1,
        weight_init: str = 'mean',
        weight_source: Optional[str] = None,
        offset_kernel_size: int = 3,
        max_offset: Optional[float] = None,
        keep_inside: bool = True,
        grad_scale: Optional[float] = None,
        im2col_step: int = 32,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        for key, value in (
            ('in_channels', in_channels),
            ('kernel_size', kernel_size),
            ('dilation', dilation),
            ('offset_kernel_size', offset_kernel_size),
            ('im2col_step', im2col_step),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{_FILE}: {name} {key} must be a positive int, got {value!r}.')
        if kernel_size % 2 == 0 or offset_kernel_size % 2 == 0:
            raise ValueError(
                f'{_FILE}: {name} kernel sizes must be odd, got kernel_size='
                f'{kernel_size}, offset_kernel_size={offset_kernel_size}.'
            )
        if weight_init not in WEIGHT_INITS:
            raise ValueError(
                f'{_FILE}: {name} weight_init must be one of {WEIGHT_INITS}, got {weight_init!r}.'
            )
        if (weight_init == 'copy') != (weight_source is not None):
            raise ValueError(
                f"{_FILE}: {name} weight_source is needed by weight_init='copy' "
                f'and only by it (got weight_init={weight_init!r}, '
                f'weight_source={weight_source!r}).'
            )
        if max_offset is not None and not (isinstance(max_offset, (int, float)) and max_offset > 0):
            raise ValueError(f'{_FILE}: {name} max_offset must be None or > 0, got {max_offset!r}.')
        if grad_scale is not None and (
            isinstance(grad_scale, bool)
            or not isinstance(grad_scale, (int, float))
            or grad_scale < 0
        ):
            raise ValueError(
                f'{_FILE}: {name} grad_scale must be None or a number >= 0, got {grad_scale!r}.'
            )
        self.in_channels = in_channels
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = dilation * (kernel_size // 2)
        self.weight_init = weight_init
        self.weight_source = weight_source
        self.max_offset = None if max_offset is None else float(max_offset)
        self.keep_inside = keep_inside
        self.grad_scale = None if grad_scale is None else float(grad_scale)
        self.im2col_step = im2col_step
        self.groups = 1 if weight_init == 'copy' else in_channels

        self.offset_conv = nn.Conv2d(
            in_channels,
            2 * kernel_size * kernel_size,
            kernel_size=offset_kernel_size,
            padding=offset_kernel_size // 2,
        )
        nn.init.zeros_(self.offset_conv.weight)
        nn.init.zeros_(self.offset_conv.bias)
        # fixed: a buffer, so no optimizer ever sees it; saved with the checkpoint
        self.register_buffer('weight', fixed_sampler_weight(in_channels, kernel_size, weight_init))
        # base sampling offsets of the taps relative to the output position, (2 * k * k, )
        r = torch.arange(kernel_size) - kernel_size // 2
        grid_y, grid_x = torch.meshgrid(r, r, indexing='ij')
        taps = torch.stack([grid_y.flatten(), grid_x.flatten()], dim=1) * dilation
        self.register_buffer('_tap_offsets', taps.flatten().float(), persistent=False)

    def init_weights(self) -> None:
        """Keep the zero offsets and the fixed kernel unless an ``init_cfg`` asks otherwise."""
        if self.init_cfg:
            super().init_weights()

    @torch.no_grad()
    def copy_weight(self, weight: Tensor) -> None:
        """Set the fixed kernel (``weight_init='copy'``) from a (C, C, k, k) tensor."""
        expected = tuple(self.weight.shape)
        if tuple(weight.shape) != expected:
            raise ValueError(
                f'{_FILE}: {type(self).__name__} cannot copy {self.weight_source} '
                f'of shape {tuple(weight.shape)}; the fixed kernel is {expected} '
                '(C, C, k, k).'
            )
        self.weight.copy_(weight.detach().to(self.weight))

    def _bound(self, offsets: Tensor) -> Tensor:
        """Soft bound and in-map clamping of raw offsets (B, 2kk, H, W)."""
        if self.max_offset is not None:
            offsets = self.max_offset * torch.tanh(offsets / self.max_offset)
        if not self.keep_inside:
            return offsets
        b, _, h, w = offsets.shape
        kk = self.kernel_size**2
        ys = torch.arange(h, device=offsets.device, dtype=offsets.dtype).view(1, 1, h, 1)
        xs = torch.arange(w, device=offsets.device, dtype=offsets.dtype).view(1, 1, 1, w)
        taps = self._tap_offsets.to(offsets).view(1, kk, 2, 1, 1)
        base_y = ys + taps[:, :, 0]  # (1, kk, h, 1)
        base_x = xs + taps[:, :, 1]  # (1, kk, 1, w)
        off = offsets.view(b, kk, 2, h, w)
        dy = (
            torch.minimum(
                torch.maximum(base_y + off[:, :, 0], base_y.clamp(max=0)), base_y.clamp(min=h - 1)
            )
            - base_y
        )
        dx = (
            torch.minimum(
                torch.maximum(base_x + off[:, :, 1], base_x.clamp(max=0)), base_x.clamp(min=w - 1)
            )
            - base_x
        )
        return torch.stack([dy, dx], dim=2).view(b, 2 * kk, h, w)

    def offsets(self, x: Tensor) -> Tensor:
        """The offset field of features ``x`` (B, C, H, W), shape (B, 2 * k * k, H, W).

        Computed from ``x.detach()``: no gradient reaches ``x`` through the offsets. The gradient
        that reaches the offset conv is reversed when ``grad_scale`` is set.
        """
        raw = self.offset_conv(x.detach())
        if self.grad_scale is not None:
            raw = reverse_grad(raw, self.grad_scale)
        if raw.dtype in (torch.float32, torch.float64):
            return self._bound(raw)
        # low precision (autocast): bound in float32, where positions up to 2**24 are exact
        with torch.autocast(raw.device.type, enabled=False):
            return self._bound(raw.float()).to(raw.dtype)

    def forward(self, x: Tensor) -> Tensor:
        """Resample features.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Shape (B, C, H, W).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{_FILE}: {type(self).__name__} expects (B, {self.in_channels}, H, '
                f'W) features, got shape {tuple(x.shape)}.'
            )
        return deformable_conv(
            x,
            self.offsets(x),
            self.weight,
            self.padding,
            self.dilation,
            self.im2col_step,
            self.groups,
        )

    def extra_repr(self) -> str:
        return (
            f'in_channels={self.in_channels}, kernel_size={self.kernel_size}, '
            f'dilation={self.dilation}, weight_init={self.weight_init}, '
            f'max_offset={self.max_offset}, keep_inside={self.keep_inside}, '
            f'grad_scale={self.grad_scale}'
        )


def _mmcv_has_kernel(dtype: torch.dtype, device_type: str) -> bool:
    """Whether mmcv 2.1's deformable conv has a kernel for ``dtype`` on ``device_type`` that we
    use: float32/float64 everywhere, float16 on CUDA (its CPU float16 kernel exists but we avoid
    it, as autocast on CPU means bfloat16 and CPU float16 im2col is slow); never bfloat16."""
    if dtype in (torch.float32, torch.float64):
        return True
    return dtype == torch.float16 and device_type == 'cuda'


def deformable_conv(
    x: Tensor,
    offsets: Tensor,
    weight: Tensor,
    padding: int = 1,
    dilation: int = 1,
    im2col_step: int = 32,
    groups: int = 1,
) -> Tensor:
    """``mmcv.ops.deform_conv2d`` at stride 1, with the batch-size, small-input and dtype cases
    handled (float32 with autocast off where mmcv has no kernel, see the module doc).

    Args:
        x (Tensor): Input (B, C_in, H, W).
        offsets (Tensor): (B, 2 * k * k, H, W), mmcv's layout.
        weight (Tensor): (C_out, C_in / groups, k, k).
        padding (int): Zero padding. Default: 1.
        dilation (int): Kernel dilation. Default: 1.
        im2col_step (int): Upper bound of mmcv's im2col step. Default: 32.
        groups (int): Convolution groups (C_in for depthwise). Default: 1.

    Returns:
        Tensor: (B, C_out, H, W) when ``padding == dilation * (k // 2)``; in the offsets'
        dtype where mmcv has a kernel for it (as mmcv returns), else in the dtype of ``x``.
    """
    k = weight.shape[-1]
    h, w = x.shape[-2:]
    pad_h, pad_w = max(k - h, 0), max(k - w, 0)
    if pad_h or pad_w:  # mmcv's kernels need an input at least as large as the kernel
        x = F.pad(x, (0, pad_w, 0, pad_h))
        offsets = F.pad(offsets, (0, pad_w, 0, pad_h))
    step = _largest_divisor_at_most(x.shape[0], im2col_step)
    if _mmcv_has_kernel(offsets.dtype, x.device.type):
        # mmcv computes in the offsets' dtype (it casts input and weight to it), as before
        out = deform_conv2d(
            x.contiguous(),
            offsets.contiguous(),
            weight,
            1,
            padding,
            dilation,
            groups,
            1,
            False,
            step,
        )
    else:
        # no mmcv kernel for this dtype (bfloat16; float16 on CPU): float32, autocast off locally
        with torch.autocast(x.device.type, enabled=False):
            out = deform_conv2d(
                x.float().contiguous(),
                offsets.float().contiguous(),
                weight.float(),
                1,
                padding,
                dilation,
                groups,
                1,
                False,
                step,
            )
        if x.dtype != out.dtype:
            out = out.to(x.dtype)  # back to the features' dtype (bf16 in, bf16 out)
    if pad_h or pad_w:
        out = out[..., : out.shape[-2] - pad_h, : out.shape[-1] - pad_w]
    return out


@MODELS.register_module()
class ESOLExpansionSampler(DeformableSampler):
    """The expansion sampler: offsets trained by gradient *ascent* of the classification loss.

    :class:`DeformableSampler` with a gradient-reversal layer (``grad_scale``, default 1) on the
    offsets and the 'mean' kernel by default, so the k x k sampling points can spread out.
    """

    def __init__(
        self, in_channels: int, grad_scale: float = 1.0, weight_init: str = 'mean', **kwargs
    ) -> None:
        if grad_scale is None:
            raise ValueError(
                f'{_FILE}: ESOLExpansionSampler needs a grad_scale (the inverse '
                'supervision); use DeformableSampler for plain descent.'
            )
        super().__init__(in_channels, grad_scale=grad_scale, weight_init=weight_init, **kwargs)


@MODELS.register_module()
class ESOLShrinkageSampler(DeformableSampler):
    """The shrinkage sampler: offsets trained by descent (classification + area loss).

    :class:`DeformableSampler` without gradient reversal and with the 'identity' kernel by
    default, so at the start of the shrinkage stage the maps are exactly the expansion's.
    """

    def __init__(self, in_channels: int, weight_init: str = 'identity', **kwargs) -> None:
        if kwargs.get('grad_scale') is not None:
            raise ValueError(
                f'{_FILE}: ESOLShrinkageSampler learns by descent; grad_scale must stay None.'
            )
        kwargs.pop('grad_scale', None)
        super().__init__(in_channels, weight_init=weight_init, **kwargs)
