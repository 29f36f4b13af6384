# Copyright (c) mmwsss contributors. All rights reserved.
"""The classification head of DRS: class activation maps, then global
average pooling to image-level logits."""

from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.models.layers import build_activation
from mmwsss.models.utils.cls_labels import stack_cls_labels
from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/heads/cam_head.py'


@MODELS.register_module()
class CAMHead(BaseModule):
    """Class-activation-map head trained with image-level labels.

    ``num_convs`` 3x3 convs (each followed by ``act_cfg``, the suppressor in
    DRS), a 1x1 conv to the foreground classes (with bias) giving the
    class activation maps, and global average pooling giving the logits.
    Not an MMSeg ``BaseDecodeHead``: that one ties its loss to ``gt_sem_seg``.

    Args:
        num_classes (int): Foreground classes (background excluded; VOC: 20).
        in_channels (int): Channels of the backbone feature. Default: 512.
        channels (int): Channels of the extra convs. Default: 512.
        num_convs (int): Extra 3x3 convs before the classifier. Default: 3.
        act_cfg (dict): Activation after every extra conv, e.g.
            ``dict(type='DRS', learnable=True)``. Default: ReLU.
        in_index (int): Which backbone output to use. Default: -1.
        loss_weight (float): Weight of ``loss_cls``, the multi-label soft
            margin loss against ``gt_cls_label``. Default: 1.0.
        init_cfg (dict | list[dict], optional): By default Kaiming normal
            (fan-out) convs with zero bias, as the official code.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 512,
        channels: int = 512,
        num_convs: int = 3,
        act_cfg: Optional[dict] = dict(type='ReLU'),
        in_index: int = -1,
        loss_weight: float = 1.0,
        init_cfg=dict(
            type='Kaiming',
            layer='Conv2d',
            mode='fan_out',
            nonlinearity='relu',
            distribution='normal',
            bias=0,
        ),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (
            ('num_classes', num_classes),
            ('in_channels', in_channels),
            ('channels', channels),
        ):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f'{_FILE}: CAMHead {name} must be a positive int, got {value!r}.')
        if not isinstance(num_convs, int) or num_convs < 0:
            raise ValueError(f'{_FILE}: CAMHead num_convs must be an int >= 0, got {num_convs!r}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.channels = channels
        self.num_convs = num_convs
        self.act_cfg = act_cfg
        self.in_index = in_index
        self.loss_weight = loss_weight

        layers: List[nn.Module] = []
        prev = in_channels
        for _ in range(num_convs):
            layers.append(nn.Conv2d(prev, channels, kernel_size=3, padding=1))
            layers.append(build_activation(act_cfg, channels))
            prev = channels
        self.convs = nn.Sequential(*layers)
        self.conv_cls = nn.Conv2d(prev, num_classes, kernel_size=1)

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Compute class activation maps (before pooling).

        Args:
            feats (Tensor | Sequence[Tensor]): Backbone outputs; the one at
                ``in_index`` has shape (B, in_channels, h, w).

        Returns:
            Tensor: Class maps, shape (B, num_classes, h, w).
        """
        x = feats if isinstance(feats, Tensor) else feats[self.in_index]
        return self.conv_cls(self.convs(x))

    @staticmethod
    def pool(cams: Tensor) -> Tensor:
        """Global average pooling of class maps to logits.

        Args:
            cams (Tensor): Shape (B, C, h, w).

        Returns:
            Tensor: Logits, shape (B, C).
        """
        return cams.float().mean(dim=(2, 3))  # fp32 logits under autocast too

    def forward_logits(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image-level logits, shape (B, num_classes)."""
        return self.pool(self.forward(feats))

    def stack_labels(self, data_samples: Sequence) -> Tensor:
        """Image-level labels of a batch, shape (B, num_classes) (see :func:`stack_cls_labels`)."""
        return stack_cls_labels(data_samples, self.num_classes, 'CAMHead', _FILE)

    def loss(
        self,
        feats: Union[Tensor, Sequence[Tensor]],
        data_samples: Sequence,
        train_cfg: Optional[dict] = None,
    ) -> dict:
        """Multi-label soft margin loss against the image-level labels.

        Args:
            feats (Tensor | Sequence[Tensor]): Backbone outputs.
            data_samples (list[SegDataSample]): With ``gt_cls_label``.
            train_cfg (dict, optional): Unused.

        Returns:
            dict[str, Tensor]: ``loss_cls`` (scalar).
        """
        logits = self.forward_logits(feats)
        labels = self.stack_labels(data_samples).to(logits)
        loss = F.multilabel_soft_margin_loss(logits, labels)
        return dict(loss_cls=loss * self.loss_weight)

    @staticmethod
    def localization_maps(
        cams: Tensor, size: Tuple[int, int], labels: Optional[Tensor] = None, eps: float = 1e-5
    ) -> Tensor:
        """Normalised localization maps, as DRS computes them.

        ``relu(cams)``, bilinear upsampling (align_corners=True) to ``size``,
        division by the per-(sample, class) maximum + ``eps``, then masking
        by the image-level labels.

        Args:
            cams (Tensor): Class maps, shape (B, C, h, w).
            size (tuple[int, int]): Output (H, W).
            labels (Tensor, optional): Multi-hot labels (B, C); None keeps
                every class.
            eps (float): Added to the maximum. Default: 1e-5.

        Returns:
            Tensor: Maps in [0, 1), shape (B, C, H, W).
        """
        maps = F.interpolate(
            F.relu(cams.float()),  # normalised in fp32 under autocast too
            size=tuple(size),
            mode='bilinear',
            align_corners=True,
        )
        maps = maps / (maps.amax(dim=(2, 3), keepdim=True) + eps)
        if labels is not None:
            maps = maps * labels.to(maps)[:, :, None, None]
        return maps
