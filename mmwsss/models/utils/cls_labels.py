# Copyright (c) mmwsss contributors. All rights reserved.
"""Image-level labels of a batch of data samples as one tensor."""

from typing import Sequence

import torch
from torch import Tensor

__all__ = ['stack_cls_labels']


def stack_cls_labels(data_samples: Sequence, num_classes: int, owner: str, where: str) -> Tensor:
    """Stack the ``gt_cls_label`` multi-hot vectors of a batch.

    Args:
        data_samples (list[SegDataSample]): Each with ``gt_cls_label`` of shape (num_classes, ).
        num_classes (int): Foreground classes the caller expects.
        owner (str): The caller's class, named in errors (e.g. ``'CAMHead'``).
        where (str): The caller's file, named in errors.

    Returns:
        Tensor: Shape (B, num_classes), float.
    """
    labels = []
    for i, sample in enumerate(data_samples):
        if 'gt_cls_label' not in sample:
            raise KeyError(
                f'{where}: data sample {i} has no gt_cls_label; add '
                'LoadImageLevelLabels and PackWSSSInputs to the pipeline.'
            )
        label = torch.as_tensor(sample.gt_cls_label).float().flatten()
        if label.numel() != num_classes:
            raise ValueError(
                f'{where}: gt_cls_label of data sample {i} has {label.numel()} entries '
                f'but {owner}.num_classes is {num_classes} (foreground classes, no '
                'background).'
            )
        labels.append(label)
    return torch.stack(labels)
