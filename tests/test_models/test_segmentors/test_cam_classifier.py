# Copyright (c) mmwsss contributors. All rights reserved.
"""CAMClassifier.predict: maps at the original size (padding cropped, flip undone), masked by the
image labels; passes batched by geometry on request; the saliency background."""

import pytest
import torch
from generation_helpers import NUM_FG, tiny_model_cfg
from mmseg.structures import SegDataSample

from mmwsss.registry import MODELS


def _model(**test_cfg):
    cfg = tiny_model_cfg()
    cfg['test_cfg'] = dict(scales=(1.0, 0.75), **test_cfg)
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


def _sample(labels, ori_shape=(20, 24), pad=(0, 0, 0, 0), flip=False, saliency=None):
    sample = SegDataSample(
        metainfo=dict(
            ori_shape=ori_shape, img_padding_size=pad, flip=flip, flip_direction='horizontal'
        )
    )
    multi_hot = torch.zeros(NUM_FG)
    multi_hot[[c - 1 for c in labels]] = 1
    sample.gt_cls_label = multi_hot
    if saliency is not None:
        from mmengine.structures import PixelData

        sample.gt_saliency = PixelData(data=saliency[None])
    return sample


def _count_passes(model):
    sizes = []
    inner = model.localization_maps

    def localization_maps(inputs, out_size=None, labels=None):
        sizes.append(inputs.shape[0])
        return inner(inputs, out_size, labels)

    model.localization_maps = localization_maps
    return sizes


def test_predict_gives_masked_maps_at_the_original_size(mmseg_scope):
    model = _model()
    inputs = torch.randn(2, 3, 32, 32)
    samples = [_sample([1, 3], pad=(0, 8, 0, 4)), _sample([2], ori_shape=(16, 16), flip=True)]
    with torch.no_grad():
        out = model.predict(inputs, samples)
        # the second image: the flip undone on its own maps
        ref, _ = model.localization_maps(inputs[1:].flip(-1), (16, 16))
        first, _ = model.localization_maps(inputs[:1, :, :28, :24], (20, 24))
    logits = out[0].seg_logits.data
    assert logits.shape == (NUM_FG + 1, 20, 24) and out[0].pred_sem_seg.data.shape == (1, 20, 24)
    assert out[0].pred_score.shape == (NUM_FG,)
    torch.testing.assert_close(logits[[1, 3]], first[0, [0, 2]])
    assert not logits[2].any()  # class 2 is not in the image's labels
    assert (logits[0] == 0.2).all()  # the constant background score (bg_threshold)
    torch.testing.assert_close(out[1].seg_logits.data[2], ref[0, 1].flip(-1))
    assert torch.equal(out[0].pred_sem_seg.data[0], logits.argmax(0))


def test_batch_passes_run_images_of_one_geometry_together(mmseg_scope):
    inputs = torch.randn(3, 3, 32, 32)

    def samples():
        return [_sample([1]), _sample([2], flip=True), _sample([1, 2])]

    results = {}
    for batched in (False, True):
        model = _model(batch_passes=batched)
        sizes = _count_passes(model)
        with torch.no_grad():
            results[batched] = model.predict(inputs, samples())
        # one image at a time, or [images 0 and 2] and [the flipped image 1]
        assert sizes == ([1, 1, 1] if not batched else [2, 1])
    for one, many in zip(results[False], results[True]):
        torch.testing.assert_close(one.seg_logits.data, many.seg_logits.data)


def test_saliency_background_as_the_official_evaluation(mmseg_scope):
    model = _model(use_saliency=True, saliency_threshold=50)
    saliency = torch.zeros(20, 24, dtype=torch.uint8)
    saliency[:, 12:] = 200
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 20, 24), [_sample([1, 2], saliency=saliency)])
    logits = out[0].seg_logits.data
    # 1 - (saliency > 50), but at least the object cue 0.2 where no class reaches it
    background = (saliency <= 50).float()
    weak = logits[1:].amax(0) < 0.2
    torch.testing.assert_close(logits[0], torch.where(weak, background.clamp(min=0.2), background))
    assert (logits[0][:, :12] == 1).all()
    with pytest.raises(KeyError, match='gt_saliency'):
        model.predict(torch.randn(1, 3, 20, 24), [_sample([1])])
