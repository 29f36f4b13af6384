# Copyright (c) mmwsss contributors. All rights reserved.
"""model-index.yml and the metafiles it imports: every file exists, every model names a config that
exists and results in percent, as OpenMMLab's model-index tooling (mim) reads them."""
import os.path as osp

import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(path):
    with open(osp.join(ROOT, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_every_imported_metafile_and_config_exists():
    imports = _load('model-index.yml')['Import']
    assert imports
    for metafile in imports:
        assert osp.isfile(osp.join(ROOT, metafile)), f'model-index.yml imports {metafile}'
        data = _load(metafile)
        collections = {c['Name'] for c in data['Collections']}
        assert data['Models'], f'{metafile} lists no model'
        for model in data['Models']:
            assert model['In Collection'] in collections, model['Name']
            assert osp.isfile(osp.join(ROOT, model['Config'])), f'{metafile}: {model["Config"]}'
            metrics = model['Results']['Metrics']
            assert metrics and all(0 <= v <= 100 for v in metrics.values()), model['Name']
