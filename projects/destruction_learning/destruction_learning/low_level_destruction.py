# Copyright (c) mmwsss contributors. All rights reserved.
"""The Low-Level Destruction Module (LLDM) as a data transform: the
destructed twin of the training image."""

from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS
from .region_confusion import GridSize, destruct_image, region_confusion_permutation, to_grid

_FILE = 'projects/destruction_learning/destruction_learning/low_level_destruction.py'


@TRANSFORMS.register_module()
class LowLevelDestruction(BaseTransform):
    """Adds a locally shuffled copy of the image: its destructed twin.

    A subclass of MMCV's ``BaseTransform`` so it sits in any MMSeg pipeline.
    With probability ``prob`` it splits ``results['img']`` into a
    ``grid_size`` grid, shuffles the cells with
    :func:`region_confusion_permutation` (each cell moves at most
    ``jitter`` cells per axis) and writes the result to
    ``results['img_destructed']``; ``results['img']`` and every pixel-level
    field (``gt_seg_map``, ``gt_saliency``, anything in ``seg_fields``) are
    left as they are: the twin shares only the image-level labels.
    ``PackDestructionInputs`` packs the twin and
    ``DestructionDataPreProcessor`` adds it to the batch in training only.

    Place it after the geometric and photometric augmentations (so both
    twins see the same crop, flip and colours) and right before packing;
    never in a test pipeline.

    Required keys: ``img``. Added keys: ``img_destructed`` (same shape and
    dtype as ``img``), ``destruction_permutation`` (int64 (rows, cols),
    see :func:`region_confusion_permutation`), only when a twin is made.

    Args:
        grid_size (int | Sequence[int]): Cells per side, or (rows, cols).
            Default: 4.
        jitter (int): Largest displacement of a cell per axis, in cells
            (DCL's ``k`` corresponds to ``2k - 1``). Default: 1.
        prob (float): Probability of making a twin for an image.
            Default: 1.0.
    """

    def __init__(self, grid_size: GridSize = 4, jitter: int = 1, prob: float = 1.0) -> None:
        super().__init__()
        self.grid_size = to_grid(grid_size, _FILE)
        if isinstance(jitter, bool) or not isinstance(jitter, (int, np.integer)) or jitter < 0:
            raise ValueError(f'{_FILE}: jitter must be an int >= 0, got {jitter!r}.')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'{_FILE}: prob must be in [0, 1], got {prob}.')
        self.jitter = int(jitter)
        self.prob = float(prob)

    def transform(self, results: dict) -> Optional[dict]:
        """Add ``img_destructed`` (with probability ``prob``).

        Args:
            results (dict): The pipeline dict with ``img`` (H, W, C).

        Returns:
            dict: The same dict, maybe with ``img_destructed`` and
            ``destruction_permutation``.
        """
        if 'img' not in results:
            raise KeyError(
                f'{_FILE}: LowLevelDestruction needs results'
                "['img']; put it after LoadImageFromFile."
            )
        results.pop('img_destructed', None)
        results.pop('destruction_permutation', None)
        if self.prob < 1.0 and np.random.rand() >= self.prob:
            return results
        perm = region_confusion_permutation(self.grid_size, self.jitter)
        results['img_destructed'] = destruct_image(
            results['img'], perm, where=results.get('img_path')
        )
        results['destruction_permutation'] = perm
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(grid_size={self.grid_size}, '
            f'jitter={self.jitter}, prob={self.prob})'
        )
