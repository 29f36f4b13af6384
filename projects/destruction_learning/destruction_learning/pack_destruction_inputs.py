# Copyright (c) mmwsss contributors. All rights reserved.
"""Packing that also carries the destructed twin of the image."""

import numpy as np
import torch

from mmwsss.datasets.transforms import PackWSSSInputs
from mmwsss.registry import TRANSFORMS

_FILE = 'projects/destruction_learning/destruction_learning/pack_destruction_inputs.py'


@TRANSFORMS.register_module()
class PackDestructionInputs(PackWSSSInputs):
    """``PackWSSSInputs`` plus the twin written by ``LowLevelDestruction``.

    A subclass so labels, saliency and meta keys are packed exactly as
    mmwsss packs them; when ``results`` has ``img_destructed`` the data
    sample also gets ``img_destructed``: a tensor (C, H, W) with the dtype
    of the packed image, for ``DestructionDataPreProcessor`` to add to the
    batch. Without a twin it packs what ``PackWSSSInputs`` packs.
    """

    def transform(self, results: dict) -> dict:
        """Pack the inputs and the twin.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``inputs`` (C, H, W) and ``data_samples``.
        """
        packed = super().transform(results)
        if 'img_destructed' not in results:
            return packed
        twin = np.asarray(results['img_destructed'])
        if twin.ndim == 2:
            twin = twin[:, :, None]
        twin = torch.from_numpy(np.ascontiguousarray(twin.transpose(2, 0, 1)))
        if twin.shape != packed['inputs'].shape:
            raise ValueError(
                f'{_FILE}: img_destructed of {results.get("img_path")} has '
                f'shape {tuple(twin.shape)} but the image {tuple(packed["inputs"].shape)}; '
                'put LowLevelDestruction after every transform that changes '
                'the image size.'
            )
        packed['data_samples'].img_destructed = twin
        return packed
