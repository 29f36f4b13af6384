# Copyright (c) mmwsss contributors. All rights reserved.
"""Local checkpoint loading that keeps torch's weights-only safety on.

Since torch 2.6, ``torch.load`` unpickles only tensors and plain containers by default. MMEngine
0.10.7 loads local files with a bare ``torch.load``, so resuming (``message_hub`` history buffers,
numpy scalars), ``tools/test.py`` and every stage-to-stage hand-off fail. Instead of switching the
check off, this module re-registers MMEngine's local loader with one that allow-lists exactly the
types MMEngine writes, and only while that file is being read.
"""

import os.path as osp
import pickle
from typing import List, Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

_DEFAULT_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj: object, name: str) -> object:
    """A ``getattr`` for unpickling that only resolves :class:`HistoryBuffer`'s statistics methods.

    ``HistoryBuffer.state_dict`` keeps its ``statistics_methods`` (classmethods), which pickle as
    ``getattr(HistoryBuffer, 'mean')``; allowing the real builtin would let a file reach any
    attribute.
    """
    # HistoryBuffer fills _statistics_methods with its defaults only when a first buffer is built,
    # so a fresh process (tools/test.py, gen_pseudo_labels.py) would refuse them: allow the defaults
    # by name.
    allowed = _DEFAULT_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and not name.startswith('_') and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint (only HistoryBuffer statistics)'
    )


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types an MMEngine checkpoint holds besides containers.

    ``message_hub`` keeps :class:`HistoryBuffer` objects whose buffers are numpy arrays, and metrics
    and meta hold numpy scalars; numpy pickles those through ``_reconstruct``/``scalar`` and dtype
    classes.
    """
    core = getattr(np, '_core', None) or np.core
    dtype_classes = {
        type(np.dtype(t))
        for t in (
            np.float16,
            np.float32,
            np.float64,
            np.int8,
            np.int16,
            np.int32,
            np.int64,
            np.uint8,
            np.uint16,
            np.uint32,
            np.uint64,
            np.bool_,
        )
    }
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        core.multiarray._reconstruct,
        core.multiarray.scalar,
        *sorted(dtype_classes, key=str),
        (_history_buffer_getattr, 'builtins.getattr'),
    ]


def load_local_checkpoint(filename: str, map_location: Optional[str] = None) -> dict:
    """Loads a local checkpoint with ``weights_only=True`` and MMEngine's own types allowed.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        RuntimeError: The file is not a checkpoint, is truncated, or holds objects outside the
            allow-list.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise RuntimeError(
            f'{filename}: cannot be read with weights-only loading, it holds objects mmwsss does '
            f'not allow-list ({str(e).splitlines()[0]}). If you trust the file, re-save its '
            'state_dict with plain tensors.'
        ) from e
    except (EOFError, RuntimeError, ValueError) as e:
        raise RuntimeError(
            f'{filename}: not a readable checkpoint (truncated or corrupt?): {e}'
        ) from e


def register_checkpoint_loader() -> None:
    """Makes :func:`load_local_checkpoint` MMEngine's loader for local paths (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
