# Copyright (c) mmwsss contributors. All rights reserved.
"""MainNet + SupportNet: a CAM classifier trained with pixel-level self-supervision from a second
network (the regional contrastive and multi-scale attentive modules)."""

import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.models.segmentors import CAMClassifier
from mmwsss.registry import MODELS
from .ema import ema_update_

_FILE = 'projects/pixel_self_supervision/pixel_self_supervision/main_support_classifier.py'
SUPPORT_MODES = ('frozen', 'ema', 'shared')


def load_cam_weights(path: str) -> Dict[str, Tensor]:
    """The ``backbone.*`` and ``decode_head.*`` weights of a CAM classifier checkpoint.

    Args:
        path (str): An MMEngine checkpoint (``state_dict`` inside) or a bare state dict; a DDP
            ``module.`` prefix is dropped, and the old layout's ``head.*`` keys are read as
            ``decode_head.*``.

    Returns:
        dict[str, Tensor]: The weights, keys starting with ``backbone.`` or ``decode_head.``.
    """
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise TypeError(f'{_FILE}: {path} is not a checkpoint (no state dict inside).')
    state = CAMClassifier.convert_legacy_keys(
        {(k[len('module.') :] if k.startswith('module.') else k): v for k, v in state.items()}
    )
    picked = {k: v for k, v in state.items() if k.startswith(('backbone.', 'decode_head.'))}
    if not picked:
        raise KeyError(
            f'{_FILE}: {path} holds no backbone.* / decode_head.* weights; a '
            'SupportNet checkpoint must come from a CAM classifier (stage 1).'
        )
    return picked


@MODELS.register_module()
class MainSupportCAMClassifier(CAMClassifier):
    """A CAM classifier (MainNet) trained with self-supervision from a SupportNet.

    Subclasses :class:`CAMClassifier` so that ``predict``, ``localization_maps`` and the tensor
    mode are MainNet's, exactly as the pipeline contract wants from a map model; only ``loss``
    changes: ``loss_cls`` (MainNet's multi-label soft margin loss) plus ``loss_rcm`` from the
    :class:`RegionalContrastiveModule` and ``loss_mam`` from the
    :class:`MultiScaleAttentiveModule` (each optional, each with its ``loss_weight`` inside).

    SupportNet, by ``support_mode``:

    - ``'frozen'``: a separate network loaded from ``support_checkpoint`` (a stage-1 CAM
      checkpoint) in :meth:`init_weights`, kept in eval mode, never trained.
    - ``'ema'``: a separate copy of MainNet (same architecture), set to MainNet's weights in
      :meth:`init_weights`, then moved by :meth:`update_support_net` (``support <- m * support +
      (1 - m) * main``), which ``SupportNetEMAHook`` calls after every optimizer step. Under DDP
      all ranks stay identical without any communication: every rank starts from the same
      weights (MMEngine runs ``init_weights`` after wrapping the model, on every rank, with the
      same seed unless ``randomness.diff_rank_seed``; pretrained and support checkpoints are the
      same files; the EMA copy is MainNet's), every rank's MainNet is the same after each step
      (the gradients are all-reduced), and every rank applies the same deterministic update at
      the same iteration. SupportNet is saved in checkpoints, so resuming keeps it.
    - ``'shared'``: no second network; SupportNet's outputs come from MainNet itself (on the same
      and on rescaled inputs).

    In every mode SupportNet's outputs are targets: its forward passes run under
    ``torch.no_grad`` (so gradients reach MainNet only through MainNet's own pass), and in
    ``'frozen'`` and ``'ema'`` modes its parameters have ``requires_grad=False``, so optimizers
    (the DRS constructor skips them) and DDP leave them alone.

    Args:
        backbone (dict): MainNet's backbone config.
        decode_head (dict): MainNet's ``CAMHead`` config.
        support_mode (str): ``'frozen'``, ``'ema'`` or ``'shared'``. Defaults to ``'frozen'``.
        support_checkpoint (str, optional): The stage-1 CAM checkpoint of a frozen SupportNet
            (required in that mode when weights are initialised).
        support_net (dict, optional): ``dict(backbone=..., decode_head=...)`` of a frozen
            SupportNet of another architecture (``head`` is read as ``decode_head``); None
            (default) uses MainNet's.
        rcm (dict, optional): ``RegionalContrastiveModule`` config (its ``in_channels`` and
            ``support_channels`` are filled in from the heads). None: no RCM.
        mam (dict, optional): ``MultiScaleAttentiveModule`` config. None: no MAM.
        ema_momentum (float): ``m`` of the ``'ema'`` update. Defaults to 0.99.
        init_main_from_support (bool): In ``'frozen'`` mode, also start MainNet from the support
            checkpoint. Defaults to False.
        warmup_iters (int): The RCM and MAM losses rise linearly from 0 to their weight over this
            many training iterations (counted by the ``num_train_steps`` buffer, which checkpoints
            keep). Defaults to 0 (full weight at once).
        train_cfg, test_cfg, data_preprocessor, pretrained, init_cfg, head: As
            :class:`CAMClassifier`.
    """

    # checkpoints written before version 2 also called SupportNet's head ``head``
    LEGACY_KEY_PREFIXES = CAMClassifier.LEGACY_KEY_PREFIXES + (
        ('support_net.head.', 'support_net.decode_head.'),
    )

    def __init__(
        self,
        backbone: ConfigType,
        decode_head: OptConfigType = None,
        support_mode: str = 'frozen',
        support_checkpoint: Optional[str] = None,
        support_net: OptConfigType = None,
        rcm: OptConfigType = None,
        mam: OptConfigType = None,
        ema_momentum: float = 0.99,
        init_main_from_support: bool = False,
        warmup_iters: int = 0,
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
        if support_mode not in SUPPORT_MODES:
            raise ValueError(
                f'{_FILE}: support_mode must be one of {SUPPORT_MODES}, got {support_mode!r}.'
            )
        if support_net is not None and support_mode != 'frozen':
            raise ValueError(
                f'{_FILE}: support_net (another architecture) needs '
                f"support_mode='frozen'; {support_mode!r} uses MainNet's."
            )
        if not 0 <= ema_momentum <= 1:
            raise ValueError(f'{_FILE}: ema_momentum must be in [0, 1], got {ema_momentum}.')
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise ValueError(f'{_FILE}: warmup_iters must be an int >= 0, got {warmup_iters!r}.')
        if init_main_from_support and support_mode != 'frozen':
            raise ValueError(f"{_FILE}: init_main_from_support needs support_mode='frozen'.")
        self._check_cam_head(self.decode_head, 'decode_head')
        self.support_mode = support_mode
        self.support_checkpoint = support_checkpoint
        self.ema_momentum = ema_momentum
        self.init_main_from_support = init_main_from_support
        self.warmup_iters = warmup_iters

        self.support_net: Optional[nn.ModuleDict] = None
        if support_mode != 'shared':
            if support_net is None:
                net = dict(backbone=backbone, decode_head=decode_head if head is None else head)
            else:
                net = dict(support_net)
                if 'head' in net and 'decode_head' not in net:
                    net['decode_head'] = net.pop('head')  # the old name
            if set(net) != {'backbone', 'decode_head'}:
                raise KeyError(
                    f'{_FILE}: support_net must hold exactly backbone and '
                    f'decode_head, got {sorted(net)}.'
                )
            # A ModuleDict (no init_weights): SupportNet's weights come from a checkpoint or
            # from MainNet, never from its own init_cfg.
            self.support_net = nn.ModuleDict(
                dict(
                    backbone=MODELS.build(copy.deepcopy(net['backbone'])),
                    decode_head=MODELS.build(copy.deepcopy(net['decode_head'])),
                )
            )
            support_head = self.support_net['decode_head']
            self._check_cam_head(support_head, 'support_net.decode_head')
            if support_head.num_classes != self.num_fg_classes:
                raise ValueError(
                    f'{_FILE}: SupportNet has {support_head.num_classes} '
                    f'classes, MainNet {self.num_fg_classes}.'
                )
            self.support_net.requires_grad_(False)

        self.rcm = None
        if rcm is not None:
            rcm = dict(rcm)
            feature = rcm.get('feature', 'head')
            rcm.setdefault('in_channels', self._feature_channels(self.decode_head, feature))
            rcm.setdefault(
                'support_channels', self._feature_channels(self._support_modules()[1], feature)
            )
            self.rcm = MODELS.build(rcm)
        self.mam = MODELS.build(dict(mam)) if mam is not None else None
        self.register_buffer('num_train_steps', torch.zeros((), dtype=torch.long))
        self._loss_calls = 0
        self._ema_updates = 0
        self._warned_no_ema = False

    # ------------------------------------------------------------------ #
    # construction helpers
    # ------------------------------------------------------------------ #
    @staticmethod
    def _check_cam_head(head: nn.Module, where: str) -> None:
        for attr in ('convs', 'conv_cls', 'pool', 'localization_maps', 'in_index'):
            if not hasattr(head, attr):
                raise TypeError(
                    f'{_FILE}: {where} ({type(head).__name__}) is not a CAMHead '
                    f'(no {attr}); RCM/MAM read its features and class maps.'
                )

    @staticmethod
    def _feature_channels(head: nn.Module, feature: str) -> int:
        """Channels of the RCM features: the classifier conv's input or the backbone output."""
        return head.conv_cls.in_channels if feature == 'head' else head.in_channels

    def _support_modules(self) -> Tuple[nn.Module, nn.Module]:
        """SupportNet's (backbone, decode_head): its own, or MainNet's in ``'shared'`` mode."""
        if self.support_net is None:
            return self.backbone, self.decode_head
        return self.support_net['backbone'], self.support_net['decode_head']

    def _main_named(self, kind: str) -> List[Tuple[str, Tensor]]:
        named = []
        for prefix, module in (('backbone', self.backbone), ('decode_head', self.decode_head)):
            items = module.named_parameters() if kind == 'params' else module.named_buffers()
            named += [(f'{prefix}.{n}', t) for n, t in items]
        return named

    # ------------------------------------------------------------------ #
    # weights
    # ------------------------------------------------------------------ #
    def init_weights(self) -> None:
        """MainNet's initialisation, then SupportNet's weights (checkpoint or MainNet's copy)."""
        super().init_weights()
        if self.support_mode == 'frozen':
            if not self.support_checkpoint:
                raise ValueError(
                    f"{_FILE}: support_mode='frozen' needs support_checkpoint (a "
                    'stage-1 CAM checkpoint), e.g. --cfg-options '
                    'model.support_checkpoint=work_dirs/.../epoch_20.pth'
                )
            state = load_cam_weights(self.support_checkpoint)
            self._load_strict(self.support_net, state, 'SupportNet')
            if self.init_main_from_support:
                self._load_strict(
                    nn.ModuleDict(dict(backbone=self.backbone, decode_head=self.decode_head)),
                    state,
                    'MainNet',
                )
            print_log(
                f'SupportNet (frozen) loaded from {self.support_checkpoint}', logger='current'
            )
        elif self.support_mode == 'ema':
            ema_update_(self.support_net.named_parameters(), self._main_named('params'), 0.0)
            ema_update_(self.support_net.named_buffers(), self._main_named('buffers'), 0.0)

    def _load_strict(self, module: nn.Module, state: Dict[str, Tensor], what: str) -> None:
        missing, unexpected = module.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise KeyError(
                f'{_FILE}: {self.support_checkpoint} does not fit {what}: missing '
                f'{missing[:5]}{"..." if len(missing) > 5 else ""}, unexpected '
                f'{unexpected[:5]}{"..." if len(unexpected) > 5 else ""}.'
            )

    @torch.no_grad()
    def update_support_net(self, momentum: Optional[float] = None) -> None:
        """One EMA step of an ``'ema'`` SupportNet towards MainNet (buffers are copied).

        Args:
            momentum (float, optional): Defaults to ``ema_momentum``.
        """
        if self.support_mode != 'ema':
            raise RuntimeError(
                f"{_FILE}: update_support_net needs support_mode='ema', the model "
                f'has {self.support_mode!r}.'
            )
        m = self.ema_momentum if momentum is None else momentum
        ema_update_(self.support_net.named_parameters(), self._main_named('params'), m)
        ema_update_(self.support_net.named_buffers(), self._main_named('buffers'), 0.0)
        self._ema_updates += 1

    def train(self, mode: bool = True) -> 'MainSupportCAMClassifier':
        """Set the training mode; a separate SupportNet always stays in eval mode."""
        super().train(mode)
        if self.support_net is not None:
            self.support_net.train(False)
        return self

    # ------------------------------------------------------------------ #
    # training
    # ------------------------------------------------------------------ #
    @staticmethod
    def _run(
        backbone: nn.Module, head: nn.Module, inputs: Tensor, feature: str = 'head'
    ) -> Tuple[Tensor, Tensor]:
        """One network pass.

        Returns:
            tuple[Tensor, Tensor]: The RCM features (B, C, h, w) (``feature`` says which) and the
            class activation maps (B, K, h, w).
        """
        feats = backbone(inputs)
        x = feats if isinstance(feats, Tensor) else feats[head.in_index]
        hidden = head.convs(x)
        return (hidden if feature == 'head' else x), head.conv_cls(hidden)

    def _support_outputs(
        self, inputs: Tensor, labels: Tensor, size: Sequence[int]
    ) -> Dict[str, object]:
        """SupportNet's features and maps at MainNet's CAM ``size`` (h, w), without gradient.

        Returns:
            dict: ``feat`` (B, C_s, h, w) and ``maps`` (B, K, h, w) at scale 1 when RCM is on,
            ``mam_maps`` (list of (B, K, h, w), one per MAM scale) when MAM is on.
        """
        backbone, head = self._support_modules()
        feature = self.rcm.feature if self.rcm is not None else 'head'
        out: Dict[str, object] = {}
        in_size = tuple(inputs.shape[-2:])
        size = tuple(size)
        with torch.no_grad():
            cams1 = None
            if self.rcm is not None:
                feat1, cams1 = self._run(backbone, head, inputs, feature)
                if tuple(feat1.shape[-2:]) != size:
                    feat1 = F.interpolate(feat1, size=size, mode='bilinear', align_corners=False)
                out['feat'] = feat1
                out['maps'] = head.localization_maps(cams1, size, labels)
            if self.mam is not None:
                maps = []
                for scale in self.mam.scales:
                    scaled = self.mam.scaled_size(scale, in_size)
                    if scaled == in_size and cams1 is not None:
                        maps.append(out['maps'])
                        continue
                    x = (
                        inputs
                        if scaled == in_size
                        else F.interpolate(
                            inputs, size=scaled, mode='bilinear', align_corners=False
                        )
                    )
                    maps.append(
                        head.localization_maps(self._run(backbone, head, x)[1], size, labels)
                    )
                out['mam_maps'] = maps
        return out

    def _ramp(self) -> float:
        if self.warmup_iters <= 0:
            return 1.0
        return min(1.0, float(self.num_train_steps.item() + 1) / self.warmup_iters)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """MainNet's classification loss plus the RCM and MAM losses from SupportNet.

        Args:
            inputs (Tensor): Images, shape (B, 3, H, W).
            data_samples (list[SegDataSample]): With ``gt_cls_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and, when configured, ``loss_rcm`` and ``loss_mam``.
        """
        if data_samples is None:
            raise ValueError(f'{_FILE}: loss needs data samples carrying gt_cls_label.')
        self._check_ema_hook()
        feature = self.rcm.feature if self.rcm is not None else 'head'
        main_feat, cams = self._run(self.backbone, self.decode_head, inputs, feature)
        labels = self.decode_head.stack_labels(data_samples).to(cams)
        losses = dict(
            loss_cls=F.multilabel_soft_margin_loss(self.decode_head.pool(cams), labels)
            * self.decode_head.loss_weight
        )
        if self.rcm is not None or self.mam is not None:
            support = self._support_outputs(inputs, labels, cams.shape[-2:])
            ramp = self._ramp()
            if self.rcm is not None:
                losses['loss_rcm'] = (
                    self.rcm.loss(main_feat, support['feat'], support['maps'], labels) * ramp
                )
            if self.mam is not None:
                losses['loss_mam'] = self.mam.loss(cams, support['mam_maps'], labels) * ramp
        if self.training:
            self.num_train_steps += 1
        return losses

    def _check_ema_hook(self) -> None:
        """Warn once when an ``'ema'`` SupportNet is never updated (no SupportNetEMAHook)."""
        self._loss_calls += 1
        if (
            self.support_mode == 'ema'
            and self.training
            and self._loss_calls > 10
            and self._ema_updates == 0
            and not self._warned_no_ema
        ):
            self._warned_no_ema = True
            print_log(
                f"{_FILE}: support_mode='ema' but SupportNet was not updated in 10 "
                "iterations; add dict(type='SupportNetEMAHook') to custom_hooks.",
                logger='current',
                level=30,
            )
