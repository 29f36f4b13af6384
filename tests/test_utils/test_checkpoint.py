# Copyright (c) mmwsss contributors. All rights reserved.
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.utils import load_local_checkpoint


def _mmengine_like_checkpoint() -> dict:
    hub = MessageHub(name='test_checkpoint_hub')
    for i in range(3):
        hub.update_scalar('train/loss', np.float64(1.0 / (i + 1)))
    hub.update_info('iter', 3)
    return dict(
        meta=dict(
            epoch=1,
            iter=3,
            seed=np.int64(7),
            best=np.float32(0.5),
            dataset_meta=dict(classes=('background', 'a'), palette=[[0, 0, 0], [1, 2, 3]]),
        ),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(),
        optimizer={'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]},
        arr=np.arange(4, dtype=np.uint8),
    )


def test_plain_weights_only_load_refuses_mmengine_checkpoint(tmp_path):
    # the problem the loader solves is real under this torch: a plain load fails
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_loader_reads_mmengine_checkpoint(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    ckpt = load_local_checkpoint(str(path))
    assert ckpt['meta']['seed'] == 7
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    buffers = ckpt['message_hub']['log_scalars']
    assert buffers['train/loss'].current() == pytest.approx(1 / 3)
    np.testing.assert_array_equal(ckpt['arr'], np.arange(4))
    # and it is what MMEngine uses for local paths
    assert CheckpointLoader._get_checkpoint_loader(str(path)) is load_local_checkpoint
    assert _load_checkpoint(str(path))['meta']['iter'] == 3


class _Evil:
    def __reduce__(self):
        return (print, ('pwned',))


def test_loader_still_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _Evil()}, path)
    with pytest.raises(RuntimeError, match='evil.pth'):
        load_local_checkpoint(str(path))


def test_loader_names_truncated_and_missing_files(tmp_path):
    path = tmp_path / 'half.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match='half.pth'):
        load_local_checkpoint(str(path))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))


class _SneakyGetattr:
    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer

        return (getattr, (HistoryBuffer, '__init__'))


def test_loader_allows_getattr_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': _SneakyGetattr()}, path)
    with pytest.raises(RuntimeError, match='sneaky.pth'):
        load_local_checkpoint(str(path))
