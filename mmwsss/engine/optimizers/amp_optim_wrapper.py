# Copyright (c) mmwsss contributors. All rights reserved.
"""Mixed-precision training on GPUs (as MMEngine does it) and on CPUs with native bf16."""

from typing import Union

import torch
from mmengine.device import is_cuda_available
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmwsss.registry import OPTIM_WRAPPERS
from mmwsss.utils.precision import cpu_bf16_supported, cpu_description

__all__ = ['DeviceAgnosticAmpOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class DeviceAgnosticAmpOptimWrapper(AmpOptimWrapper):
    """MMEngine's ``AmpOptimWrapper``, which also trains on a CPU with native bf16.

    Subclassed because MMEngine 0.10.7's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU/MUSA device.
    With CUDA (or another accelerator MMEngine knows) it is exactly the parent. On the CPU it runs
    the forward pass and the loss under bf16 autocast (the parent's ``optim_context``) and, as bf16
    has fp32's exponent range, without loss scaling: ``backward``, ``step`` and the state dict are
    ``OptimWrapper``'s. A CPU without native bf16 (oneDNN's check) is refused with a clear error, as
    emulated bf16 is slower than fp32.

    Args:
        loss_scale (str | float | dict): The parent's; ignored on the CPU. Defaults to 'dynamic'.
        dtype (str | torch.dtype, optional): Autocast dtype. On the CPU only bf16 (the default
            there) is accepted. Defaults to None (the device's default).
        use_fsdp (bool): The parent's. Defaults to False.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``, ``clip_grad``, ...).
    """

    def __init__(
        self,
        loss_scale: Union[str, float, dict] = 'dynamic',
        dtype: Union[str, torch.dtype, None] = None,
        use_fsdp: bool = False,
        **kwargs,
    ) -> None:
        self.on_cpu = not is_cuda_available() and not self._other_accelerator()
        if not self.on_cpu:
            super().__init__(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)
            return
        if isinstance(dtype, str):
            if dtype not in self.valid_dtypes:
                raise ValueError(
                    f'{type(self).__name__}: dtype should be one of '
                    f'{self.valid_dtypes}, got {dtype!r}.'
                )
            dtype = getattr(torch, dtype)
        if dtype not in (None, torch.bfloat16):
            raise ValueError(
                f'{type(self).__name__}: CPU autocast runs in bfloat16 only, got dtype={dtype}.'
            )
        if not cpu_bf16_supported():
            raise RuntimeError(
                f'{type(self).__name__}: mixed precision on the CPU needs native bf16 (AMX-BF16 or '
                f'AVX512-BF16), which this CPU ({cpu_description()["model"]}) does not have; train '
                'in fp32 (drop --amp) or on a GPU.'
            )
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = None
        self.cast_dtype = torch.bfloat16

    @staticmethod
    def _other_accelerator() -> bool:
        from mmengine.device import is_mlu_available, is_musa_available, is_npu_available

        return is_npu_available() or is_mlu_available() or is_musa_available()

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Back-propagate ``loss`` (scaled by the loss scaler on a GPU, as is on the CPU)."""
        if self.loss_scaler is not None:
            return super().backward(loss, **kwargs)
        return OptimWrapper.backward(self, loss, **kwargs)

    def step(self, **kwargs) -> None:
        """Update the parameters (through the loss scaler on a GPU)."""
        if self.loss_scaler is not None:
            return super().step(**kwargs)
        return OptimWrapper.step(self, **kwargs)

    def state_dict(self) -> dict:
        """The optimizer's state (and the loss scaler's on a GPU)."""
        if self.loss_scaler is not None:
            return super().state_dict()
        return OptimWrapper.state_dict(self)

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state written by this wrapper on either device, or by a plain ``OptimWrapper``."""
        if self.loss_scaler is None:
            state_dict = dict(state_dict)
            state_dict.pop('loss_scaler', None)  # a GPU run's scaler means nothing without scaling
        super().load_state_dict(state_dict)
