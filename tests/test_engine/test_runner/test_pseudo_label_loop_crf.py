# Copyright (c) mmwsss contributors. All rights reserved.
"""PseudoLabelLoop with pseudo_label_cfg.crf: the labels are the rule after a dense CRF on
the image, remade from the stored maps bit for bit, and a missing extra stops the run before any
work."""

import os
import os.path as osp

import mmcv
import numpy as np
import pytest
from generation_helpers import NUM_FG, SCALES, dataset_cfg

import mmwsss.models.utils.dense_crf as dense_crf
from mmwsss.datasets.stage_files import load_label_png, load_maps, uint8_to_maps
from mmwsss.engine import PseudoLabelLoop
from mmwsss.pseudo_labels import generate_pseudo_label

CRF_RULE = dict(mode='saliency', crf=True)


def _loop(runner, root, out_dir, rule):
    return PseudoLabelLoop(
        runner,
        dataset_cfg(root),
        str(out_dir),
        scales=SCALES,
        batch_size=2,
        precision='fp32',
        pseudo_label_cfg=rule,
    )


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_crf_labels_and_remade_from_stored_maps(data_root, model, make_runner, tmp_path):
    out = tmp_path / 'crf'
    gen = _loop(make_runner(model), data_root, out, CRF_RULE)
    gen.run()
    assert gen.writer.needs_image and gen.writer.needs_saliency
    plain = _loop(make_runner(model), data_root, tmp_path / 'plain', dict(mode='saliency'))
    plain.run()

    differ = 0
    for index, info in enumerate(gen.infos):
        maps, labels = load_maps(gen.map_path(index))
        np.testing.assert_array_equal(maps, load_maps(plain.map_path(index))[0])
        dense = np.zeros((NUM_FG,) + maps.shape[1:], np.float32)
        dense[labels - 1] = uint8_to_maps(maps)
        image = mmcv.imread(info['img_path'], channel_order='rgb')
        expected = generate_pseudo_label(
            dense, CRF_RULE, gen.label_inputs(index)['saliency'], info['cls_labels'], image=image
        )
        label = load_label_png(gen.label_path(index))
        np.testing.assert_array_equal(label, expected)
        differ += int((label != load_label_png(plain.label_path(index))).any())
    assert differ > 0  # the CRF changed some labels

    # labels remade from the stored maps (no model run) have the same bytes
    reference = {i: _read(gen.label_path(i)) for i in range(len(gen.infos))}
    for i in (0, 3):
        os.remove(gen.label_path(i))
    again = _loop(make_runner(model), data_root, out, CRF_RULE)
    assert again.generate(model) == 2
    assert {i: _read(again.label_path(i)) for i in range(len(gen.infos))} == reference


def test_missing_extra_stops_before_any_work(data_root, tmp_path, monkeypatch):

    def missing():
        raise ImportError('dense CRF post-processing needs pydensecrf (the "pydensecrf2" package)')

    monkeypatch.setattr(dense_crf, 'import_pydensecrf', missing)
    gen = _loop(None, data_root, tmp_path / 'o', dict(mode='threshold', bg_thr=0.3, crf=True))
    with pytest.raises(
        ImportError, match='pseudo_label_cfg.crf needs the dense-CRF extra pydensecrf2'
    ):
        gen.prepare()
    assert not os.listdir(osp.join(tmp_path, 'o', 'labels'))
