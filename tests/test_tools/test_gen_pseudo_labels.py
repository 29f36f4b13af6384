# Copyright (c) mmwsss contributors. All rights reserved.
import importlib.util
import os
import os.path as osp

import pytest
import torch
from generation_helpers import SCALES, build_tiny_model, dataset_cfg, tiny_model_cfg

from mmwsss.engine import PseudoLabelLoop

_TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'gen_pseudo_labels.py')


def _tool():
    spec = importlib.util.spec_from_file_location('gen_pseudo_labels_tool', _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_config(path, data_root, work_dir, hooks=1):
    hook = dict(
        type='PseudoLabelHook',
        dataset=dataset_cfg(data_root),
        out_dir='pl',
        scales=SCALES,
        batch_size=2,
        priority='LOW',
    )
    text = '\n'.join(
        [
            "default_scope = 'mmseg'",
            "custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)",
            f'work_dir = {work_dir!r}',
            f'model = {tiny_model_cfg()!r}',
            f'custom_hooks = {[hook] * hooks!r}',
        ]
    )
    with open(path, 'w') as f:
        f.write(text + '\n')
    return str(path)


def _save_checkpoint(model, path):
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    return str(path)


def _tree(folder):
    return {name: open(osp.join(folder, name), 'rb').read() for name in sorted(os.listdir(folder))}


def test_tool_writes_what_the_loop_writes(data_root, model, make_runner, tmp_path):
    cfg = _write_config(tmp_path / 'cfg.py', data_root, str(tmp_path / 'work'))
    ckpt = _save_checkpoint(model, tmp_path / 'epoch_1.pth')
    metrics = _tool().main([cfg, ckpt])

    out = tmp_path / 'work' / 'pl'  # the hook's relative out_dir, in the config's work dir
    PseudoLabelLoop(
        make_runner(model),
        dataset_cfg(data_root),
        str(tmp_path / 'direct'),
        scales=SCALES,
        batch_size=2,
    ).run()
    for sub in ('maps', 'labels'):
        assert _tree(out / sub) == _tree(tmp_path / 'direct' / sub)
    assert metrics['pseudo_label/mIoU'] > 0 and (out / 'metrics.json').is_file()

    # --out-dir and --cfg-options change the settings
    _tool().main(
        [
            cfg,
            ckpt,
            '--out-dir',
            str(tmp_path / 'thr'),
            '--cfg-options',
            'custom_hooks.0.pseudo_label_cfg.mode=threshold',
            'custom_hooks.0.pseudo_label_cfg.bg_thr=0.5',
            'custom_hooks.0.save_maps=False',
        ]
    )
    assert not (tmp_path / 'thr' / 'maps').exists()
    assert len(os.listdir(tmp_path / 'thr' / 'labels')) == len(os.listdir(out / 'labels'))


def test_tool_refuses_a_checkpoint_of_another_model(data_root, mmseg_scope, tmp_path):
    cfg = _write_config(tmp_path / 'cfg.py', data_root, str(tmp_path / 'work'))
    ckpt = _save_checkpoint(build_tiny_model(num_classes=7), tmp_path / 'wrong.pth')
    with pytest.raises(
        SystemExit, match=r'wrong\.pth does not fit .*cfg\.py.*decode_head\.conv_cls'
    ):
        _tool().main([cfg, ckpt])
    assert not os.listdir(tmp_path / 'work' / 'pl' / 'maps')


def test_tool_needs_exactly_one_hook_entry(data_root, model, tmp_path):
    ckpt = _save_checkpoint(model, tmp_path / 'm.pth')
    for hooks in (0, 2):
        cfg = _write_config(tmp_path / f'cfg{hooks}.py', data_root, str(tmp_path / 'w'), hooks)
        with pytest.raises(SystemExit, match=f'found {hooks}'):
            _tool().main([cfg, ckpt])
