# Copyright (c) mmwsss contributors. All rights reserved.
"""The ESOL classifier: a CAM classifier with an expansion and a shrinkage sampler between its
backbone and its CAM head, trained one stage at a time."""

import re
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor
from torch.nn.parameter import is_lazy

from mmwsss.models.segmentors import CAMClassifier
from mmwsss.registry import MODELS

_FILE = 'projects/esol/esol/esol_classifier.py'
STAGES = ('expand', 'shrink')
PARTS = ('backbone', 'expansion', 'shrinkage', 'decode_head')
DEFAULT_TRAINABLE = dict(expand=('expansion', 'decode_head'), shrink=('shrinkage',))
# the parts a stage's starting checkpoint must hold (stage 1 -> expand -> shrink)
REQUIRED_IN_CHECKPOINT = dict(
    expand=('backbone', 'decode_head'), shrink=('backbone', 'decode_head', 'expansion')
)
# the old name of decode_head in ``trainable`` (before mmwsss followed MMSeg's naming)
LEGACY_PARTS = dict(head='decode_head')


# Subclasses CAMClassifier: predict / localization_maps / the test_cfg stay the map-model
# contract's; only the features between backbone and head change.
@MODELS.register_module()
class ESOLClassifier(CAMClassifier):
    """Expansion and Shrinkage of Localization (ESOL) on a CAM classifier.

    Forward path (``x`` = the backbone output the head reads)::

        x -> expansion sampler -> feature clip -> [shrinkage sampler] -> CAM head -> CAMs
                                                  (stage 'shrink' only)

    ``stage`` decides what runs and what trains (``trainable``, by default):

    - ``'expand'``: start from a stage-1 ``CAMClassifier`` checkpoint; the expansion sampler's
      offsets ascend the classification loss (gradient reversal) while the CAM head descends it,
      so the head has to recognise the less discriminative regions the offsets move to. Backbone
      frozen. Loss: ``loss_cls``.
    - ``'shrink'``: start from the expansion checkpoint; only the shrinkage sampler's offsets
      learn, from ``loss_cls`` + ``loss_area`` (the area of the maps of the present classes).

    Frozen parts get ``requires_grad=False`` (optimizer constructors skip them) and stay in eval
    mode (their norm layers keep their statistics); a frozen backbone runs without autograd.
    Weights come through ``init_cfg=dict(type='Pretrained', checkpoint=...)`` (non-strict); with
    ``check_pretrained`` the checkpoint must hold every weight of the parts the stage starts
    from (``REQUIRED_IN_CHECKPOINT``), else a clear error names the file and the missing keys.

    Args:
        backbone (dict): Backbone config (``DRSVGG``, MMSeg's ``ResNetV1c``, ...).
        decode_head (dict): ``CAMHead`` config; its ``in_channels`` are the samplers' channels.
        stage (str): ``'expand'`` or ``'shrink'``. Default: 'expand'.
        expansion (dict): Expansion sampler config (``in_channels`` filled in).
            Default: ``dict(type='ESOLExpansionSampler')``.
        shrinkage (dict): Shrinkage sampler config (``in_channels`` filled in); built in both
            stages so the checkpoints of both load into either. Default:
            ``dict(type='ESOLShrinkageSampler')``.
        feature_clip (dict, optional): Clip op after the expansion sampler; None for none.
            Default: ``dict(type='FeatureClip')``.
        area_loss (dict, optional): Loss on the CAMs in the shrink stage; None for none.
            Default: ``dict(type='ESOLAreaLoss')``.
        trainable (Sequence[str], optional): Parts that learn, from ``PARTS`` (``'head'``, the
            old name of ``'decode_head'``, is read as it); None takes
            ``DEFAULT_TRAINABLE[stage]``. The shrinkage sampler cannot learn in 'expand'.
        check_pretrained (bool): Check the ``Pretrained`` checkpoint's keys after loading.
            Default: True.
        train_cfg, test_cfg, data_preprocessor, pretrained, init_cfg, head: See
            :class:`CAMClassifier`.
    """

    def __init__(
        self,
        backbone: ConfigType,
        decode_head: OptConfigType = None,
        stage: str = 'expand',
        expansion: ConfigType = dict(type='ESOLExpansionSampler'),
        shrinkage: ConfigType = dict(type='ESOLShrinkageSampler'),
        feature_clip: OptConfigType = dict(type='FeatureClip'),
        area_loss: OptConfigType = dict(type='ESOLAreaLoss'),
        trainable: Optional[Sequence[str]] = None,
        check_pretrained: bool = True,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        pretrained: Optional[str] = None,
        init_cfg: OptMultiConfig = None,
        head: OptConfigType = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg,
            head=head,
        )
        if stage not in STAGES:
            raise ValueError(
                f'{_FILE}: ESOLClassifier stage must be one of {STAGES}, got {stage!r}.'
            )
        self.stage = stage
        channels = getattr(self.decode_head, 'in_channels', None)
        self.expansion = self._build_sampler(expansion, channels, 'expansion')
        self.shrinkage = self._build_sampler(shrinkage, channels, 'shrinkage')
        self.feature_clip = MODELS.build(feature_clip) if feature_clip else nn.Identity()
        self.area_loss = MODELS.build(area_loss) if area_loss else None
        self.trainable = self._check_trainable(trainable)
        self.check_pretrained = check_pretrained
        for part in PARTS:
            getattr(self, part).requires_grad_(part in self.trainable)
        self.train(self.training)

    # ------------------------------------------------------------------ #
    # construction
    # ------------------------------------------------------------------ #
    @staticmethod
    def _build_sampler(cfg: ConfigType, channels: Optional[int], name: str) -> nn.Module:
        if not cfg or 'type' not in cfg:
            raise ValueError(
                f'{_FILE}: ESOLClassifier {name} must be a sampler config with a type, got {cfg!r}.'
            )
        cfg = dict(cfg)
        if cfg.get('in_channels') is None:
            if channels is None:
                raise ValueError(
                    f'{_FILE}: ESOLClassifier cannot infer {name}.in_channels (the '
                    'decode_head has no in_channels); set it in the config.'
                )
            cfg['in_channels'] = channels
        elif channels is not None and cfg['in_channels'] != channels:
            raise ValueError(
                f'{_FILE}: {name}.in_channels={cfg["in_channels"]} differs from the '
                f'decode_head in_channels={channels}; the sampler keeps the channel '
                'count.'
            )
        return MODELS.build(cfg)

    def _check_trainable(self, trainable: Optional[Sequence[str]]) -> Tuple[str, ...]:
        if trainable is None:
            trainable = DEFAULT_TRAINABLE[self.stage]
        if isinstance(trainable, str):
            trainable = (trainable,)
        trainable = tuple(LEGACY_PARTS.get(part, part) for part in trainable)
        unknown = sorted(set(trainable) - set(PARTS))
        if unknown or not trainable:
            raise ValueError(
                f'{_FILE}: ESOLClassifier trainable must be a non-empty subset of '
                f'{PARTS}, got {trainable!r}.'
            )
        if self.stage == 'expand' and 'shrinkage' in trainable:
            raise ValueError(
                f"{_FILE}: the shrinkage sampler is not used in stage 'expand' and "
                'cannot be trainable there.'
            )
        return trainable

    def train(self, mode: bool = True) -> 'ESOLClassifier':
        """Set the mode; frozen parts always stay in eval mode."""
        super().train(mode)
        for part in PARTS:
            if part not in self.__dict__.get('trainable', PARTS):
                getattr(self, part).eval()
        return self

    # ------------------------------------------------------------------ #
    # weights
    # ------------------------------------------------------------------ #
    def init_weights(self) -> None:
        """Initialise (``init_cfg`` loads the stage's checkpoint last), copy fixed sampler
        kernels where asked, then check that the starting checkpoint held what the stage needs."""
        super().init_weights()
        state = None
        for name in ('expansion', 'shrinkage'):
            sampler = getattr(self, name)
            if getattr(sampler, 'weight_init', None) != 'copy':
                continue
            state = self.state_dict() if state is None else state
            if sampler.weight_source not in state:
                raise KeyError(
                    f'{_FILE}: {name}.weight_source {sampler.weight_source!r} is not a '
                    'parameter of the model (e.g. backbone.features.28.weight).'
                )
            sampler.copy_weight(state[sampler.weight_source])
        if self.check_pretrained:
            for checkpoint in self._pretrained_checkpoints():
                self.check_checkpoint(checkpoint)

    def _pretrained_checkpoints(self) -> List[str]:
        cfgs = self.init_cfg if isinstance(self.init_cfg, (list, tuple)) else [self.init_cfg]
        return [
            cfg['checkpoint']
            for cfg in cfgs
            if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' and not cfg.get('prefix')
        ]

    def check_checkpoint(self, checkpoint: str) -> None:
        """Raise unless ``checkpoint`` holds every weight of ``REQUIRED_IN_CHECKPOINT[stage]``
        with the model's shapes (loading is non-strict and would only warn)."""
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            raise RuntimeError(f'{_FILE}: checkpoint {checkpoint} holds no state dict.')
        state = self.convert_legacy_keys({re.sub(r'^module\.', '', k): v for k, v in state.items()})
        prefixes = tuple(f'{p}.' for p in REQUIRED_IN_CHECKPOINT[self.stage])
        missing, shapes = [], []
        for key, value in self.state_dict().items():
            if not key.startswith(prefixes) or key.endswith('num_batches_tracked'):
                continue
            if key not in state:
                missing.append(key)
            elif is_lazy(value):  # e.g. a learnable DRS suppressor the load did not materialise
                shapes.append(f'{key}: {tuple(state[key].shape)} vs uninitialised')
            elif tuple(state[key].shape) != tuple(value.shape):
                shapes.append(f'{key}: {tuple(state[key].shape)} vs {tuple(value.shape)}')
        if missing or shapes:
            before = 'a stage-1 CAMClassifier' if self.stage == 'expand' else 'an expansion-stage'
            raise RuntimeError(
                f'{_FILE}: stage {self.stage!r} starts from {before} checkpoint, but '
                f'{checkpoint} lacks {len(missing)} weights {missing[:5]} and has '
                f'{len(shapes)} shape mismatches {shapes[:5]} (checkpoint vs model).'
            )
        print_log(
            f'ESOLClassifier ({self.stage}): {checkpoint} holds every weight of '
            f'{", ".join(REQUIRED_IN_CHECKPOINT[self.stage])}.',
            logger='current',
        )

    # ------------------------------------------------------------------ #
    # network
    # ------------------------------------------------------------------ #
    def sample_features(self, x: Tensor) -> Tensor:
        """The samplers on the head's input features (B, C, h, w) -> (B, C, h, w)."""
        x = self.feature_clip(self.expansion(x))
        if self.stage == 'shrink':
            x = self.shrinkage(x)
        return x

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone features with the head's input (``decode_head.in_index``) resampled.

        Args:
            inputs (Tensor): Images (B, 3, H, W).

        Returns:
            tuple[Tensor]: The backbone outputs, the head's one passed through
            :meth:`sample_features`.
        """
        with torch.set_grad_enabled(torch.is_grad_enabled() and 'backbone' in self.trainable):
            feats = list(super().extract_feat(inputs))
        index = getattr(self.decode_head, 'in_index', -1)
        feats[index] = self.sample_features(feats[index])
        return tuple(feats)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of the current stage.

        Args:
            inputs (Tensor): Images (B, 3, H, W).
            data_samples (list[SegDataSample]): With ``gt_cls_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls`` (the head's multi-label soft margin loss; in 'expand'
            the offsets receive its reversed gradient), and in 'shrink' the area loss.
        """
        if data_samples is None:
            raise ValueError(f'{_FILE}: loss needs data samples carrying gt_cls_label.')
        cams = self._forward(inputs)
        logits = self.decode_head.pool(cams)
        labels = self.decode_head.stack_labels(data_samples).to(logits)
        losses = dict(
            loss_cls=F.multilabel_soft_margin_loss(logits, labels)
            * getattr(self.decode_head, 'loss_weight', 1.0)
        )
        if self.stage == 'shrink' and self.area_loss is not None:
            losses[self.area_loss.loss_name] = self.area_loss(cams, labels)
        return losses
