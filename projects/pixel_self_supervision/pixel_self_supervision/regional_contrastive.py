# Copyright (c) mmwsss contributors. All rights reserved.
"""The Regional Contrastive Module (RCM): class region masks and class prototypes from SupportNet,
a pixel-wise contrastive loss on a projection of MainNet's features."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'projects/pixel_self_supervision/pixel_self_supervision/regional_contrastive.py'
IGNORE = -1


def class_region_masks(
    maps: Tensor, labels: Tensor, fg_threshold: float, bg_threshold: float
) -> Tensor:
    """Class region masks from localization maps by two thresholds.

    A pixel belongs to the best class of the image's labels where that class's map reaches
    ``fg_threshold``, to the background where every map of the image's classes stays below
    ``bg_threshold``, and is ignored (``-1``) in between.

    Args:
        maps (Tensor): Localization maps in [0, 1], shape (B, K, h, w), K foreground classes.
        labels (Tensor): Multi-hot image-level labels, shape (B, K).
        fg_threshold (float): Lowest map value of a class region.
        bg_threshold (float): Map values below it (for every class) are background.

    Returns:
        Tensor: Long, shape (B, h, w): 0 background, ``k + 1`` class k, -1 ignored.
    """
    if maps.dim() != 4 or labels.shape != maps.shape[:2]:
        raise ValueError(
            f'{_FILE}: maps must be (B, K, h, w) and labels (B, K), got '
            f'{tuple(maps.shape)} and {tuple(labels.shape)}.'
        )
    if not 0 <= bg_threshold <= fg_threshold <= 1:
        raise ValueError(
            f'{_FILE}: need 0 <= bg_threshold <= fg_threshold <= 1, got '
            f'{bg_threshold} and {fg_threshold}.'
        )
    masked = maps * labels.to(maps)[:, :, None, None]
    best, cls = masked.max(dim=1)
    masks = torch.full_like(cls, IGNORE)
    masks = torch.where(best >= fg_threshold, cls + 1, masks)
    masks = torch.where(best < bg_threshold, torch.zeros_like(cls), masks)
    return masks


def masked_prototypes(
    features: Tensor, masks: Tensor, num_classes: int, scope: str = 'batch'
) -> Tuple[Tensor, Tensor]:
    """Class prototypes: the mean feature inside each class region (masked average pooling).

    Args:
        features (Tensor): Shape (B, C, h, w).
        masks (Tensor): Long (B, h, w), values in [0, num_classes) or -1 (ignored).
        num_classes (int): Classes including background (K + 1).
        scope (str): ``'batch'``: one prototype per class over the whole batch; ``'image'``: one per
            class and image. Defaults to ``'batch'``.

    Returns:
        tuple[Tensor, Tensor]: prototypes, shape (N, num_classes, C), and ``valid`` (N, num_classes)
        bool (the region is not empty), N = 1 for ``'batch'`` and B for ``'image'``. Prototypes of
        empty regions are zero.
    """
    if features.dim() != 4 or masks.shape != (features.shape[0],) + features.shape[2:]:
        raise ValueError(
            f'{_FILE}: features must be (B, C, h, w) and masks (B, h, w), got '
            f'{tuple(features.shape)} and {tuple(masks.shape)}.'
        )
    if scope not in ('batch', 'image'):
        raise ValueError(f"{_FILE}: prototype scope must be 'batch' or 'image', got {scope!r}.")
    one_hot = F.one_hot(masks.clamp(min=0), num_classes).permute(0, 3, 1, 2).to(features)
    one_hot = one_hot * (masks >= 0).unsqueeze(1).to(features)  # (B, K+1, h, w)
    sums = torch.einsum('bkhw,bchw->bkc', one_hot, features)
    counts = one_hot.sum(dim=(2, 3))
    if scope == 'batch':
        sums, counts = sums.sum(0, keepdim=True), counts.sum(0, keepdim=True)
    return sums / counts.clamp(min=1)[..., None], counts > 0


def pixel_contrastive_loss(
    embeddings: Tensor, prototypes: Tensor, valid: Tensor, masks: Tensor, temperature: float
) -> Tensor:
    """InfoNCE of every labelled pixel against the prototypes (cosine similarity / temperature).

    The positive of a pixel is its class's prototype; the negatives are the other valid prototypes
    (the other classes present, background included).

    Args:
        embeddings (Tensor): Pixel embeddings, shape (B, C, h, w).
        prototypes (Tensor): Shape (N, K + 1, C), N = 1 (shared by the batch) or B.
        valid (Tensor): Bool (N, K + 1), which prototypes exist.
        masks (Tensor): Long (B, h, w), the class of every pixel (-1 ignored); the class of
            every labelled pixel must have a valid prototype.
        temperature (float): Softmax temperature.

    Returns:
        Tensor: Scalar mean loss over labelled pixels (zero, still attached to ``embeddings``, when
        there is none).
    """
    if temperature <= 0:
        raise ValueError(f'{_FILE}: temperature must be > 0, got {temperature}.')
    batch = embeddings.shape[0]
    if prototypes.shape[0] not in (1, batch) or prototypes.shape[-1] != embeddings.shape[1]:
        raise ValueError(
            f'{_FILE}: prototypes {tuple(prototypes.shape)} do not fit embeddings '
            f'{tuple(embeddings.shape)}.'
        )
    labelled = masks >= 0
    if not bool(labelled.any()):
        return embeddings.sum() * 0.0
    z = F.normalize(embeddings, dim=1)
    protos = F.normalize(prototypes, dim=-1).expand(batch, -1, -1)
    logits = torch.einsum('bchw,bkc->bkhw', z, protos) / temperature
    present = valid.expand(batch, -1)[:, :, None, None]
    logits = logits.masked_fill(~present, float('-inf'))
    target_ok = torch.gather(present.expand_as(logits), 1, masks.clamp(min=0)[:, None])[:, 0]
    if bool((labelled & ~target_ok).any()):
        raise ValueError(f'{_FILE}: a labelled pixel has no prototype for its class.')
    return F.cross_entropy(logits, masks, ignore_index=IGNORE)


@MODELS.register_module()
class RegionalContrastiveModule(BaseModule):
    """Regional Contrastive Module: SupportNet's class regions teach MainNet's pixel features.

    SupportNet's localization maps give class region masks (:func:`class_region_masks`), its
    features inside them give class prototypes (:func:`masked_prototypes`, no gradient), and a
    projection of MainNet's features is trained with :func:`pixel_contrastive_loss` to be closer
    to its pixel's class prototype than to the others. The projection maps into SupportNet's
    feature space (its output channels are SupportNet's), so the prototypes need no projection of
    their own and a frozen SupportNet from a plain CAM checkpoint works as is.

    Args:
        in_channels (int): Channels of MainNet's features (filled in by the segmentor when None).
        support_channels (int, optional): Channels of SupportNet's features. Defaults to
            ``in_channels``.
        hidden_channels (int, optional): Channels of the projection's hidden layer. Defaults to
            ``in_channels``.
        fg_threshold (float): Class region threshold on SupportNet's maps. Defaults to 0.5.
        bg_threshold (float): Background threshold on SupportNet's maps. Defaults to 0.15.
        temperature (float): InfoNCE temperature. Defaults to 0.1.
        prototype_scope (str): ``'batch'`` or ``'image'`` (see :func:`masked_prototypes`).
            Defaults to ``'batch'``.
        feature (str): Which features: ``'head'`` (the CAM head's input to its classifier conv)
            or ``'backbone'`` (the backbone output the head reads). Defaults to ``'head'``.
        loss_weight (float): Weight of ``loss_rcm``. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config. Defaults to Kaiming normal convs.
    """

    def __init__(
        self,
        in_channels: Optional[int] = None,
        support_channels: Optional[int] = None,
        hidden_channels: Optional[int] = None,
        fg_threshold: float = 0.5,
        bg_threshold: float = 0.15,
        temperature: float = 0.1,
        prototype_scope: str = 'batch',
        feature: str = 'head',
        loss_weight: float = 0.1,
        init_cfg: Optional[dict] = dict(type='Kaiming', layer='Conv2d', bias=0),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'{_FILE}: in_channels must be a positive int, got {in_channels!r}.')
        if not 0 <= bg_threshold <= fg_threshold <= 1:
            raise ValueError(
                f'{_FILE}: need 0 <= bg_threshold <= fg_threshold <= 1, got '
                f'{bg_threshold} and {fg_threshold}.'
            )
        if temperature <= 0:
            raise ValueError(f'{_FILE}: temperature must be > 0, got {temperature}.')
        if prototype_scope not in ('batch', 'image'):
            raise ValueError(
                f"{_FILE}: prototype_scope must be 'batch' or 'image', got {prototype_scope!r}."
            )
        if feature not in ('head', 'backbone'):
            raise ValueError(f"{_FILE}: feature must be 'head' or 'backbone', got {feature!r}.")
        support_channels = support_channels or in_channels
        hidden_channels = hidden_channels or in_channels
        self.in_channels = in_channels
        self.support_channels = support_channels
        self.fg_threshold = fg_threshold
        self.bg_threshold = bg_threshold
        self.temperature = temperature
        self.prototype_scope = prototype_scope
        self.feature = feature
        self.loss_weight = loss_weight
        self.projection = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden_channels, support_channels, 1),
        )

    def forward(self, main_feats: Tensor) -> Tensor:
        """Project MainNet's features (B, in_channels, h, w) to (B, support_channels, h, w)."""
        return self.projection(main_feats)

    def loss(
        self, main_feats: Tensor, support_feats: Tensor, support_maps: Tensor, labels: Tensor
    ) -> Tensor:
        """The weighted RCM loss.

        Args:
            main_feats (Tensor): MainNet's features, shape (B, in_channels, h, w).
            support_feats (Tensor): SupportNet's features at the same size,
                shape (B, support_channels, h, w).
            support_maps (Tensor): SupportNet's localization maps in [0, 1], shape (B, K, h, w).
            labels (Tensor): Multi-hot image-level labels, shape (B, K).

        Returns:
            Tensor: ``loss_weight`` * the pixel contrastive loss (scalar).
        """
        if (
            support_feats.shape[-2:] != main_feats.shape[-2:]
            or support_maps.shape[-2:] != main_feats.shape[-2:]
        ):
            raise ValueError(
                f'{_FILE}: MainNet features {tuple(main_feats.shape)}, SupportNet '
                f'features {tuple(support_feats.shape)} and maps '
                f'{tuple(support_maps.shape)} must share (h, w).'
            )
        with torch.no_grad():
            masks = class_region_masks(
                support_maps.detach(), labels, self.fg_threshold, self.bg_threshold
            )
            protos, valid = masked_prototypes(
                support_feats.detach().float(),
                masks,
                support_maps.shape[1] + 1,
                self.prototype_scope,
            )
        embeddings = self(main_feats)
        loss = pixel_contrastive_loss(embeddings.float(), protos, valid, masks, self.temperature)
        return loss * self.loss_weight
