# Copyright (c) mmwsss contributors. All rights reserved.
"""Discriminative-part masks, loaded for evaluation like a segmentation mask."""

from typing import Optional

from mmwsss.registry import TRANSFORMS
from .pixel_map import LoadPixelMap


@TRANSFORMS.register_module()
class LoadPartMask(LoadPixelMap):
    """Load a part mask (class index on discriminative-part pixels, 0 elsewhere) as ``gt_part_seg``.

    The synthetic benchmark writes one per image (``PartMask/``); with it the map metrics split each
    object's recall into part and body (the object's other pixels), which tells a sparse
    localization map from a complete one. Evaluation pipelines only: training never reads it.
    It appends ``'gt_part_seg'`` to ``seg_fields``, so MMSeg's geometric transforms move it with the
    mask.

    Required keys: ``part_path``; ``img`` (optional, for the size check). Added keys:
    ``gt_part_seg`` (np.uint8 (H, W)); ``seg_fields`` gains ``'gt_part_seg'``.

    Args:
        backend_args (dict, optional): File backend arguments. Defaults to None.
    """

    path_key, field, what = 'part_path', 'gt_part_seg', 'part mask'
    not_2d = 'is not a one-channel index image'

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        # pillow keeps a palette PNG's indices, as MMSeg's LoadAnnotations reads masks
        super().__init__('pillow', backend_args)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'
