# Copyright (c) mmwsss contributors. All rights reserved.
"""Numeric precision of inference and training: detected per machine, never assumed.

``precision`` everywhere in mmwsss is one of

- ``'auto'``: bf16 autocast on a CPU whose oneDNN kernels support bf16 (AMX-BF16 / AVX512-BF16;
  torch tells: ``torch.ops.mkldnn._is_mkldnn_bf16_supported()``), fp16 autocast on CUDA, fp32
  elsewhere;
- ``'fp32'``: no autocast;
- ``'bf16'``: bf16 autocast (refused on a CPU or GPU without bf16 support: it would be emulated,
  slowly);
- ``'fp16'``: fp16 autocast, CUDA only.

Weights and the optimizer stay fp32 under autocast; only the convolutions and matrix products run in
the lower precision.
"""

import os
import platform
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Union

import torch
from torch import nn

__all__ = [
    'PRECISIONS',
    'cpu_bf16_supported',
    'cpu_description',
    'resolve_precision',
    'precision_name',
    'resolve_channels_last',
    'autocast_context',
    'channels_last_model',
    'describe_precision',
    'set_amp_optim_wrapper',
    'set_eval_precision',
]

PRECISIONS = ('auto', 'fp32', 'bf16', 'fp16')
_NAMES = {None: 'fp32', torch.bfloat16: 'bf16', torch.float16: 'fp16'}


def cpu_bf16_supported() -> bool:
    """Whether this CPU runs bf16 convolutions and matrix products natively (oneDNN's own check)."""
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):  # a torch build without the check
        return False


def _cpu_flags() -> Dict[str, str]:
    """``model name`` and ``flags`` of the first processor in /proc/cpuinfo (empty elsewhere)."""
    found: Dict[str, str] = {}
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                key, _, value = line.partition(':')
                key = key.strip()
                if key in ('model name', 'flags') and key not in found:
                    found[key] = value.strip()
                if len(found) == 2:
                    break
    except OSError:
        pass
    return found


def cpu_description() -> Dict[str, object]:
    """The CPU's model, its bf16 instruction sets and what torch says of bf16.

    Returns:
        dict: ``model`` (str), ``bf16_flags`` (list of the cpuinfo flags among amx_bf16,
        avx512_bf16), ``torch_bf16`` (bool, :func:`cpu_bf16_supported`), ``isa`` (torch's CPU
        capability, e.g. 'AVX512'), ``cpus`` (usable CPUs).
    """
    info = _cpu_flags()
    flags = set(info.get('flags', '').split())
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    try:
        isa = torch.backends.cpu.get_cpu_capability()
    except AttributeError:
        isa = 'unknown'
    return dict(
        model=info.get('model name') or platform.processor() or 'unknown CPU',
        bf16_flags=sorted(flags & {'amx_bf16', 'avx512_bf16'}),
        torch_bf16=cpu_bf16_supported(),
        isa=isa,
        cpus=cpus,
    )


def _device_type(device: Union[str, torch.device, None]) -> str:
    if device is None:
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    return torch.device(device).type


def resolve_precision(
    precision: str = 'auto', device: Union[str, torch.device, None] = None
) -> Optional[torch.dtype]:
    """The autocast dtype of ``precision`` on ``device``; None means fp32 (no autocast).

    Args:
        precision (str): One of :data:`PRECISIONS`.
        device (str | torch.device, optional): Where the model runs. None: CUDA if available,
            else the CPU.

    Returns:
        torch.dtype | None: ``torch.bfloat16``, ``torch.float16`` or None.

    Raises:
        ValueError: An unknown precision, or one this device cannot run natively.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}.')
    kind = _device_type(device)
    if precision == 'fp32':
        return None
    if kind == 'cuda':
        if precision == 'bf16':
            if not torch.cuda.is_bf16_supported():
                raise ValueError("precision 'bf16': this GPU has no bf16 support; use 'fp16'.")
            return torch.bfloat16
        return torch.float16  # 'auto' and 'fp16': what MMSeg's AMP uses
    if kind != 'cpu':
        if precision == 'auto':
            return None
        raise ValueError(f'precision {precision!r}: autocast on {kind!r} is not supported here.')
    if precision == 'fp16':
        raise ValueError(
            "precision 'fp16' needs CUDA; on the CPU use 'bf16' (where the CPU has it) or 'fp32'."
        )
    if cpu_bf16_supported():
        return torch.bfloat16
    if precision == 'auto':
        return None
    raise ValueError(
        f"precision 'bf16': this CPU ({cpu_description()['model']}) has no native bf16 "
        '(torch.ops.mkldnn._is_mkldnn_bf16_supported() is False; AMX-BF16 or '
        "AVX512-BF16 needed), so bf16 would be emulated and slower; use 'fp32'."
    )


def precision_name(dtype: Optional[torch.dtype]) -> str:
    """'fp32', 'bf16' or 'fp16' for an autocast dtype from :func:`resolve_precision`."""
    return _NAMES[dtype]


def resolve_channels_last(
    channels_last: Union[str, bool],
    dtype: Optional[torch.dtype],
    device: Union[str, torch.device, None] = None,
) -> bool:
    """Whether to run the model's weights in channels_last memory format.

    ``'auto'`` chooses it for bf16 on the CPU only, where it was measured faster
    (``tools/analysis_tools/benchmark.py``, ``docs/benchmark.md``); fp32 on the CPU and CUDA keep
    the default format.

    Args:
        channels_last (str | bool): ``'auto'``, True or False.
        dtype (torch.dtype, optional): The autocast dtype (None: fp32).
        device (str | torch.device, optional): Where the model runs.

    Returns:
        bool: Whether to convert.
    """
    if channels_last == 'auto':
        return dtype == torch.bfloat16 and _device_type(device) == 'cpu'
    if not isinstance(channels_last, bool):
        raise ValueError(f"channels_last must be 'auto', True or False, got {channels_last!r}.")
    return channels_last


@contextmanager
def autocast_context(
    dtype: Optional[torch.dtype], device: Union[str, torch.device, None] = None
) -> Iterator[None]:
    """``torch.autocast`` with ``dtype`` on ``device``'s type; nothing when ``dtype`` is None."""
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=_device_type(device), dtype=dtype):
        yield


@contextmanager
def channels_last_model(model: nn.Module, enabled: bool) -> Iterator[nn.Module]:
    """Run ``model`` with channels_last 4-d weights inside the block, contiguous again after it.

    Only the weights are converted: with them in channels_last, oneDNN runs the convolutions in that
    layout whatever the input's (converting the inputs too was measured slower in training).
    """
    if not enabled:
        yield model
        return
    model.to(memory_format=torch.channels_last)
    try:
        yield model
    finally:
        model.to(memory_format=torch.contiguous_format)


def describe_precision(
    dtype: Optional[torch.dtype], channels_last: bool, device: Union[str, torch.device, None] = None
) -> str:
    """One line for logs: what was chosen and why.

    E.g. ``bf16 autocast + channels_last (CPU ...)``.
    """
    kind = _device_type(device)
    what = precision_name(dtype) + (' autocast' if dtype is not None else '')
    if channels_last:
        what += ' + channels_last'
    if kind == 'cpu':
        cpu = cpu_description()
        support = (
            'native bf16: ' + ', '.join(cpu['bf16_flags'] or ['yes'])
            if cpu['torch_bf16']
            else 'no native bf16'
        )
        return f'{what} on {cpu["model"]} ({support})'
    if kind == 'cuda':
        return f'{what} on {torch.cuda.get_device_name()}'
    return f'{what} on {kind}'


_AMP_WRAPPERS = (
    'AmpOptimWrapper',
    'DeviceAgnosticAmpOptimWrapper',
    'mmseg.AmpOptimWrapper',
    'mmseg.DeviceAgnosticAmpOptimWrapper',
)


def set_amp_optim_wrapper(cfg, dtype: Optional[torch.dtype]) -> bool:
    """Switch a config's ``optim_wrapper`` to mixed precision with ``dtype`` (in place).

    On CUDA this is what MMSeg's ``tools/train.py --amp`` does (``AmpOptimWrapper`` with dynamic
    loss scaling, fp16 unless ``dtype`` is bf16); on the CPU it is
    :class:`mmwsss.engine.optimizers.DeviceAgnosticAmpOptimWrapper` with bf16 and no loss scaling,
    plus :class:`mmwsss.engine.hooks.ChannelsLastHook` (channels_last weights, measured faster
    there).

    Args:
        cfg (Config): A stage config with an ``optim_wrapper``.
        dtype (torch.dtype, optional): From :func:`resolve_precision`; None changes nothing.

    Returns:
        bool: Whether the config trains in mixed precision afterwards.
    """
    wrapper = cfg.get('optim_wrapper')
    if wrapper is None:
        raise KeyError('set_amp_optim_wrapper: the config has no optim_wrapper.')
    kind = wrapper.get('type', 'OptimWrapper')
    if kind in _AMP_WRAPPERS:
        return True
    if dtype is None:
        return False
    if kind not in ('OptimWrapper', 'mmseg.OptimWrapper'):
        raise ValueError(
            f'set_amp_optim_wrapper: cannot make optim_wrapper type {kind!r} mixed '
            'precision; set an AMP wrapper in the config yourself.'
        )
    if torch.cuda.is_available():
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic'
        if dtype == torch.bfloat16:
            wrapper['dtype'] = 'bfloat16'
    else:
        wrapper['type'] = 'DeviceAgnosticAmpOptimWrapper'
        wrapper['dtype'] = 'bfloat16'
        hooks = list(cfg.get('custom_hooks', None) or [])
        if not any(str(h.get('type', '')).endswith('ChannelsLastHook') for h in hooks):
            hooks.append(dict(type='ChannelsLastHook'))
        cfg['custom_hooks'] = hooks
    return True


def set_eval_precision(cfg, dtype: Optional[torch.dtype]) -> None:
    """Run a config's validation and test loops under autocast with ``dtype`` (in place).

    MMEngine's ``ValLoop``/``TestLoop`` take ``fp16=True`` for autocast: bf16 on the CPU, the GPU's
    autocast dtype on CUDA (set to ``dtype`` here). None turns it off.

    Args:
        cfg (Config): A stage config.
        dtype (torch.dtype, optional): From :func:`resolve_precision`.
    """
    for key, default in (('val_cfg', 'ValLoop'), ('test_cfg', 'TestLoop')):
        loop = cfg.get(key)
        if loop is None:
            continue
        if loop.get('type', default) not in (default, f'mmseg.{default}', f'mmengine.{default}'):
            if dtype is not None:
                raise ValueError(
                    f'set_eval_precision: {key} is a {loop.get("type")!r}, not '
                    f"MMEngine's {default}; cannot switch its precision."
                )
            continue
        loop['fp16'] = dtype is not None
    if dtype is not None and torch.cuda.is_available():
        torch.set_autocast_dtype('cuda', dtype)
