# Copyright (c) mmwsss contributors. All rights reserved.
"""How the configs inherit: at most 3 levels (leaf -> one intermediate -> configs/_base_), a
method's stage configs built from its own folder and configs/_base_ only (a change to one method's
recipe never moves another's runs), pipeline configs in a ``pipelines/`` folder of their own, and
no config that reaches into a list by position (``train_dataloader.dataset.pipeline.2``)."""

import ast
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_DIR = osp.join(ROOT, 'configs', '_base_')
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    + glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '**', '*.py'), recursive=True)
)
MAX_DEPTH = 3
# a key path with a list index in it: 'pipeline.2', 'a.pipeline.2.maps_dir'
_INDEXED = re.compile(r'(^|\.)\d+(\.|$)')
_KEY_PATH = re.compile(r'[A-Za-z_]\w*(\.\w+)+')


def _rel(path):
    return osp.relpath(path, ROOT)


def _bases(path):
    """The ``_base_`` entries of a config, read without running it."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def _resolve(path, base):
    """The file a ``_base_`` entry names, or None for another package's (``mmseg::``)."""
    if '::' in base:
        return None
    return osp.normpath(osp.join(osp.dirname(path), base))


def _chain(path):
    """The longest inheritance chain from ``path``: project files, then ``mmseg::...`` (one level:
    what MMSeg's configs inherit is MMSeg's)."""
    longest = []
    for base in _bases(path):
        target = _resolve(path, base)
        if target is None:
            chain = [base]
        else:
            assert osp.isfile(target), f'{_rel(path)}: no base {base}'
            chain = _chain(target)
        if len(chain) > len(longest):
            longest = chain
    return [path] + longest


def _is_pipeline(path):
    return osp.basename(osp.dirname(path)) == 'pipelines'


def _config_folder(path):
    """The method's config folder (configs/drs, projects/esol/configs), pipelines/ and _base_/
    inside it included."""
    rel = _rel(path).split(osp.sep)
    return osp.join(ROOT, *rel[:2]) if rel[0] == 'configs' else osp.join(ROOT, *rel[:3])


def _under(path, folder):
    return not osp.relpath(path, folder).startswith('..')


def test_every_config_is_found():
    assert len(CONFIGS) >= 100
    assert any(_is_pipeline(p) for p in CONFIGS)
    assert any(osp.join('projects', 'esol', 'configs', '_base_') in p for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_inheritance_is_at_most_3_deep(path):
    chain = _chain(path)
    assert len(chain) <= MAX_DEPTH, ' -> '.join(c if '::' in c else _rel(c) for c in chain)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_bases_come_from_the_method_folder_or_configs_base(path):
    """Shared recipes live in configs/_base_ (flat files); a stage config inherits those and its own
    method's configs, never another method's, and pipeline configs inherit pipeline configs only."""
    for base in _bases(path):
        target = _resolve(path, base)
        if '_base_' in _rel(path).split(osp.sep):
            pytest.fail(f'{_rel(path)}: a _base_ file inherits {base}; bases stay one level')
        if _is_pipeline(path):
            assert target is not None and _is_pipeline(target), (
                f'{_rel(path)}: a pipeline config inherits {base}'
            )
            continue
        if target is None:  # mmseg::...
            continue
        assert not _is_pipeline(target), f'{_rel(path)}: a stage config inherits {base}'
        assert _under(target, BASE_DIR) or _under(target, _config_folder(path)), (
            f"{_rel(path)}: inherits another method's config {_rel(target)}"
        )


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_pipeline_configs_have_their_own_folder(path):
    """tools/run_pipeline.py reads pipeline_*.py, MMEngine's Runner reads the rest."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    defines_pipeline = re.search(r'^pipeline\s*=', text, re.M) is not None
    assert _is_pipeline(path) == defines_pipeline == osp.basename(path).startswith('pipeline_'), (
        _rel(path)
    )


def _strings(obj, where=''):
    """(where, key or value) for every dict key and string value, and the cfg_options keys."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield f'{where}.{key}', key, where.endswith('cfg_options')
            yield from _strings(value, f'{where}.{key}')
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _strings(value, f'{where}[{i}]')
    elif isinstance(obj, str):
        yield where, obj, False


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_no_config_reaches_into_a_list_by_position(path):
    """Stages hand over through named outputs ('{stage1.maps_dir}' into data_prefix.loc_map_path),
    not through list positions that break when a transform is added."""
    cfg = Config.fromfile(path, import_custom_modules=False).to_dict()
    for where, text, is_override_key in _strings(cfg):
        if not isinstance(text, str):
            continue
        if is_override_key:  # every cfg_options key is a key path
            assert not _INDEXED.search(text), f'{_rel(path)}: {where} indexes a list'
        elif _KEY_PATH.fullmatch(text):
            assert not _INDEXED.search(text), f'{_rel(path)}: {where} = {text!r} indexes a list'


def test_the_checks_catch_what_they_are_for(tmp_path):
    """A 4-level chain is measured as 4 (mmseg:: as one), and a list position is caught."""
    for name, base in (('a', 'b'), ('b', 'c'), ('c', 'd')):
        (tmp_path / f'{name}.py').write_text(f"_base_ = ['./{base}.py']\nx = 1\n")
    (tmp_path / 'd.py').write_text("_base_ = 'mmseg::_base_/default_runtime.py'\n")
    assert len(_chain(str(tmp_path / 'a.py'))) == 5
    assert len(_chain(str(tmp_path / 'c.py'))) == 3
    key = 'train_dataloader.dataset.pipeline.2.maps_dir'
    assert _INDEXED.search(key) and _INDEXED.search('pipeline.2')
    assert not _INDEXED.search('train_dataloader.dataset.data_prefix.loc_map_path')
    assert not _INDEXED.search('model.backbone.init_cfg.checkpoint')
    found = [w for w, _, is_key in _strings({'cfg_options': {key: 1}}) if is_key]
    assert found == [f'.cfg_options.{key}']
