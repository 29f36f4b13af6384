# Copyright (c) mmwsss contributors. All rights reserved.
"""Image-level labels as a multi-hot vector."""

from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageLevelLabels(BaseTransform):
    """Turn the data info's ``cls_labels`` into a multi-hot vector over the foreground classes.

    Subclasses MMCV's ``BaseTransform`` so it composes with any MMSeg pipeline.

    Required keys: ``cls_labels`` (list[int], foreground indices 1..num_classes-1), ``num_classes``
    (int, background included; the ``num_classes`` argument overrides it).

    Added keys: ``gt_cls_label`` (np.float32 of shape (num_classes - 1,), entry ``c - 1`` is 1 for
    class ``c``).

    Args:
        num_classes (int, optional): Number of classes, background included. Defaults to None (read
            from the data info).
    """

    def __init__(self, num_classes: Optional[int] = None) -> None:
        if num_classes is not None and num_classes < 2:
            raise ValueError(
                f'LoadImageLevelLabels: num_classes must be >= 2 (background + one class), '
                f'got {num_classes}'
            )
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        """Add ``gt_cls_label``.

        Args:
            results (dict): The pipeline dict.

        Returns:
            dict: ``results`` with ``gt_cls_label`` (np.float32, (num_classes - 1,)).
        """
        where = results.get('img_path', results.get('img_id', '<unknown image>'))
        labels = results.get('cls_labels')
        if labels is None:
            raise KeyError(
                f'LoadImageLevelLabels: image {where} has no "cls_labels"; configure the '
                "dataset's cls_label_file"
            )
        num_classes = self.num_classes or results.get('num_classes')
        if not num_classes:
            raise KeyError(
                f'LoadImageLevelLabels: image {where} has no "num_classes"; give the dataset '
                'classes or pass num_classes to the transform'
            )
        labels = [int(c) for c in labels]
        if not labels:
            raise ValueError(f'LoadImageLevelLabels: image {where} has no class labels')
        bad = [c for c in labels if c < 1 or c > num_classes - 1]
        if bad:
            raise ValueError(
                f'LoadImageLevelLabels: image {where} has class indices {bad} outside '
                f'1..{num_classes - 1} (num_classes={num_classes}, background 0 excluded)'
            )
        multi_hot = np.zeros(num_classes - 1, dtype=np.float32)
        multi_hot[np.asarray(labels) - 1] = 1.0
        results['gt_cls_label'] = multi_hot
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_classes={self.num_classes})'
