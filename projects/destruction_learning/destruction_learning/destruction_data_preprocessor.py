# Copyright (c) mmwsss contributors. All rights reserved.
"""MMSeg's data preprocessor that adds the destructed twins to a training
batch (the batch side of the Low-Level Destruction Module)."""

from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor

from mmwsss.registry import MODELS

TWIN_KEY = 'img_destructed'


@MODELS.register_module()
class DestructionDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that appends the destructed twins in training.

    A subclass so the twins are converted, normalised and padded exactly as
    the images are. Every data sample that carries ``img_destructed``
    (packed by ``PackDestructionInputs``) gives, when ``training`` is True,
    one more batch entry: the twin image with a copy of the sample (same
    ``gt_cls_label``, same unshuffled pixel-level fields, metainfo
    ``destructed=True``). The originals come first, the twins after them,
    so a batch of B images with T twins becomes B + T entries and the
    classification loss averages over all of them. With ``training`` False
    (validation, test, map generation) the twins are dropped: the
    Low-Level Destruction Module is off at inference.

    Args:
        **kwargs: See MMSeg's ``SegDataPreProcessor``.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Add the twins (training only), then preprocess as MMSeg does.

        Args:
            data (dict): ``inputs`` (list of (C, H, W) tensors) and
                ``data_samples`` from the dataloader.
            training (bool): Whether this is a training step.

        Returns:
            dict: ``inputs`` (B [+ T], C, H', W') and ``data_samples``.
        """
        samples = data.get('data_samples', None)
        if not samples or not any(TWIN_KEY in s for s in samples):
            return super().forward(data, training)
        inputs = list(data['inputs'])
        samples = list(samples)
        twin_inputs, twin_samples = [], []
        for sample in samples:
            if TWIN_KEY not in sample:
                continue
            twin = sample.get(TWIN_KEY)
            sample.pop(TWIN_KEY)
            if training:
                copy = sample.clone()
                copy.set_metainfo(dict(destructed=True))
                twin_inputs.append(twin)
                twin_samples.append(copy)
        data = dict(data, inputs=inputs + twin_inputs, data_samples=samples + twin_samples)
        return super().forward(data, training)
