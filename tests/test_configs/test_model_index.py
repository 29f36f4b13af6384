# Copyright (c) mmwsss contributors. All rights reserved.
"""model-index.yml and the metafiles it imports, read the way OpenMMLab's mim reads them (the
``modelindex`` package, which mmpretrain installs, following ``Import:``), in MMSeg's layout: every
collection has Paper, Code and README; every model a runnable stage Config with its pipeline config
beside it, Metadata that ``mim search`` can tabulate, and results in percent."""

import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config

from mmwsss.apis.pipeline_runner import PipelineRunner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(path):
    with open(osp.join(ROOT, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def _metafiles():
    return [(path, _load(path)) for path in _load('model-index.yml')['Import']]


def test_every_imported_metafile_and_config_exists():
    imports = _load('model-index.yml')['Import']
    assert imports
    for metafile, data in _metafiles():
        assert osp.isfile(osp.join(ROOT, metafile)), f'model-index.yml imports {metafile}'
        collections = {c['Name'] for c in data['Collections']}
        assert data['Models'], f'{metafile} lists no model'
        for model in data['Models']:
            assert model['In Collection'] in collections, model['Name']
            assert osp.isfile(osp.join(ROOT, model['Config'])), f'{metafile}: {model["Config"]}'
            metrics = model['Results']['Metrics']
            assert metrics and all(0 <= v <= 100 for v in metrics.values()), model['Name']


def test_mmseg_layout():
    for metafile, data in _metafiles():
        for coll in data['Collections']:
            assert set(coll) >= {
                'Name',
                'License',
                'Metadata',
                'Paper',
                'Code',
                'README',
                'Frameworks',
            }, (metafile, coll['Name'])
            assert coll['Paper']['Title'], coll['Name']
            for key in ('README', 'Code'):
                assert osp.exists(osp.join(ROOT, coll[key])), (metafile, key, coll[key])
        for model in data['Models']:
            where = f'{metafile}: {model["Name"]}'
            assert set(model) >= {
                'Name',
                'In Collection',
                'Config',
                'Pipeline Config',
                'Metadata',
                'Results',
                'Paper',
                'Code',
                'Framework',
            }, where
            assert model['Metadata']['Training Data'] == model['Results']['Dataset'], where
            assert osp.exists(osp.join(ROOT, model['Code'])), where


@pytest.mark.parametrize('metafile', _load('model-index.yml')['Import'])
def test_config_is_a_stage_of_the_pipeline_beside_it(metafile, monkeypatch):
    """Config is a stage config (runnable with tools/train.py), the method's last localization
    stage of the pipeline config that produced the results."""
    monkeypatch.chdir(ROOT)  # stage configs are named relative to the repository root
    for model in _load(metafile)['Models']:
        pipeline = model['Pipeline Config']
        assert osp.basename(pipeline).startswith('pipeline_'), model['Name']
        assert not osp.basename(model['Config']).startswith('pipeline_'), model['Name']
        stages = PipelineRunner(Config.fromfile(pipeline), pipeline).stages
        localization = [s['config'] for s in stages if s['kind'] == 'localization']
        assert model['Config'] == localization[-1], model['Name']
        assert 'model' in Config.fromfile(model['Config']), model['Name']


def test_mim_reads_it():
    """What ``mim search`` does with a package's model-index.yml: modelindex loads it (following
    ``Import:``), collections are merged into their models, and every Metadata value is a string,
    a number or a list of strings (mim lower()s and joins list items)."""
    from modelindex.load_model_index import load

    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    # modelindex resolves README paths against the metafile's folder; OpenMMLab's metafiles
    # (MMSeg's too) name them from the repository root, which is what mim shows
    readme = re.compile(r'Path to README file (\S+) is not a valid file')
    errors = [
        e
        for e in index.check(silent=True)
        if not (readme.search(e) and osp.isfile(osp.join(ROOT, readme.search(e)[1])))
    ]
    assert not errors
    expected = sum(len(data['Models']) for _, data in _metafiles())
    assert len(index.models) == expected
    names = {c.name for c in index.collections}
    for model in index.models:
        assert model.in_collection in names
        assert model.config and model.paper
        for key, value in model.metadata.data.items():
            ok = isinstance(value, (str, int, float)) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            )
            assert ok, f'{model.name}: Metadata {key}={value!r} breaks mim search'
        for result in model.results:
            assert result.task and result.dataset and result.metrics
