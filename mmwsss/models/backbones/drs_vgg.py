# Copyright (c) mmwsss contributors. All rights reserved.
"""VGG16 laid out as DRS needs it: output stride 8, an activation of choice
after every conv, and torchvision's parameter names."""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.models.layers import build_activation
from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/backbones/drs_vgg.py'

# (convs per stage, base channels per stage) of VGG16
_STAGES = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
# indices of the 13 convs inside ``features`` (the same as torchvision's)
VGG16_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


@MODELS.register_module()
class DRSVGG(BaseModule):
    """VGG16 backbone of DRS (a BaseModule so ``init_cfg`` loads weights).

    Topology (``features`` indices equal torchvision's VGG16, so ImageNet
    weights map one to one, see ``tools/model_converters/vgg16_torchvision.py``):

    - stages 1-3: 3x3 convs (pad 1), each followed by the activation, then a
      2x2 stride-2 max pool;
    - stage 4: three 3x3 convs, then a 3x3 stride-1 pad-1 max pool (replaces
      pool4, keeping the resolution);
    - stage 5: three 3x3 convs with dilation 2 and padding 2; no pool5.

    The output stride is 8 (a 320 x 320 input gives 40 x 40 maps).

    Args:
        act_cfg (dict): Activation after every conv, e.g.
            ``dict(type='DRS', learnable=True)`` (the learnable suppressor;
            its channel count is filled in), ``dict(type='DRS', delta=0.55)``
            or ``dict(type='ReLU')``. Default: ``dict(type='ReLU')``.
        widen_factor (float): Multiplier of every stage's width
            (64, 128, 256, 512, 512); e.g. 0.125 gives 8 ... 64. Default: 1.
        in_channels (int): Input image channels. Default: 3.
        out_indices (Sequence[int]): Stages (0-4) whose outputs are returned;
            a stage's output is taken after its pool (stage 4 has none).
            Default: (4, ).
        stage5_dilation (int): Dilation (= padding) of the stage-5 convs.
            Default: 2.
        stage_with_act (Sequence[bool]): Per stage (5), whether its convs
            are followed by ``act_cfg``; in a stage flagged False they are
            followed by a plain ReLU instead (whatever ``act_cfg`` is, None
            included). Like ResNet's ``stage_with_dcn``, for ablations of
            where the suppressors act, e.g. ``(False, False, False, False,
            True)``: DRS in conv5 only (a head's suppressors are set by its
            own ``act_cfg``). A checkpoint does not record it: fixed
            suppressors have no weights, so a checkpoint loads into either
            layout silently; build the model with the config it was trained
            with. Default: every stage (the paper's network).
        norm_cfg (dict, optional): A norm layer after every conv (kept in
            ``norms``, so ``features`` keeps torchvision's names), e.g.
            ``dict(type='BN')`` to pretrain a plain network from scratch;
            :meth:`folded_state_dict` folds it into the convs. Default: None.
        init_cfg (dict | list[dict], optional): Initialisation; by default
            Kaiming normal (fan-out) convs with zero bias, as torchvision.
            Use ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
            for converted ImageNet weights.
    """

    def __init__(
        self,
        act_cfg: Optional[dict] = dict(type='ReLU'),
        widen_factor: float = 1.0,
        in_channels: int = 3,
        out_indices: Sequence[int] = (4,),
        stage5_dilation: int = 2,
        stage_with_act: Sequence[bool] = (True, True, True, True, True),
        norm_cfg: Optional[dict] = None,
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
        if not (isinstance(widen_factor, (int, float)) and widen_factor > 0):
            raise ValueError(f'{_FILE}: widen_factor must be > 0, got {widen_factor!r}.')
        if isinstance(out_indices, int):
            out_indices = (out_indices,)
        out_indices = tuple(out_indices)
        if not out_indices or any(not 0 <= i < len(_STAGES) for i in out_indices):
            raise ValueError(
                f'{_FILE}: out_indices must be a non-empty subset of 0..4, got {out_indices}.'
            )
        if stage5_dilation < 1:
            raise ValueError(f'{_FILE}: stage5_dilation must be >= 1, got {stage5_dilation}.')
        stage_with_act = tuple(stage_with_act)
        if len(stage_with_act) != len(_STAGES):
            raise ValueError(
                f'{_FILE}: stage_with_act needs one flag per stage ({len(_STAGES)}), '
                f'got {stage_with_act}.'
            )
        self.act_cfg = act_cfg
        self.stage_with_act = stage_with_act
        self.widen_factor = widen_factor
        self.out_indices = out_indices
        self.stage_channels: List[int] = [max(1, int(round(c * widen_factor))) for _, c in _STAGES]

        layers: List[nn.Module] = []
        self._stage_ends: List[int] = []  # index after each stage's last op
        prev = in_channels
        for stage, (num_convs, _) in enumerate(_STAGES):
            width = self.stage_channels[stage]
            dilation = stage5_dilation if stage == 4 else 1
            for _ in range(num_convs):
                layers.append(
                    nn.Conv2d(prev, width, kernel_size=3, padding=dilation, dilation=dilation)
                )
                stage_act = act_cfg if stage_with_act[stage] else dict(type='ReLU')
                layers.append(build_activation(stage_act, width))
                prev = width
            if stage < 3:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            elif stage == 3:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=1, padding=1))
            self._stage_ends.append(len(layers))
        self.features = nn.Sequential(*layers)
        self.norm_cfg = norm_cfg
        self.norms = None
        if norm_cfg is not None:
            self.norms = nn.ModuleDict(
                {
                    str(i): build_norm_layer(norm_cfg, layers[i].out_channels)[1]
                    for i in VGG16_CONV_INDICES
                }
            )
        self.out_channels = self.stage_channels[-1]
        assert (
            tuple(i for i, m in enumerate(self.features) if isinstance(m, nn.Conv2d))
            == VGG16_CONV_INDICES
        )

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): Images, shape (B, in_channels, H, W).

        Returns:
            tuple[Tensor]: One map per ``out_indices`` entry, in stage order;
            stage 4's is (B, C5, H // 8, W // 8).
        """
        outs = []
        start = 0
        for stage, end in enumerate(self._stage_ends):
            for idx in range(start, end):
                x = self.features[idx](x)
                if self.norms is not None and str(idx) in self.norms:
                    x = self.norms[str(idx)](x)
            start = end
            if stage in self.out_indices:
                outs.append(x)
            if stage >= max(self.out_indices):
                break
        return tuple(outs)

    @torch.no_grad()
    def folded_state_dict(self) -> dict:
        """The state dict of the same network without norm layers.

        Every eval-mode BN after a conv is folded into it (``w * g / s``,
        ``(b - mean) * g / s + beta`` with ``s = sqrt(var + eps)``), so a
        ``DRSVGG`` built with ``norm_cfg=None`` and these weights computes
        what this one computes in eval mode.

        Returns:
            dict: ``features.<i>.weight`` / ``.bias`` tensors (plus any
            suppressor weights), without ``norms.*``.
        """
        state = {
            k: v.detach().clone()
            for k, v in self.state_dict().items()
            if not k.startswith('norms.')
        }
        if self.norms is None:
            return state
        for key, norm in self.norms.items():
            if not isinstance(norm, nn.modules.batchnorm._BatchNorm):
                raise TypeError(
                    f'{_FILE}: only BatchNorm can be folded, got {type(norm).__name__}.'
                )
            scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            weight = state[f'features.{key}.weight']
            bias = state[f'features.{key}.bias']
            state[f'features.{key}.weight'] = weight * scale[:, None, None, None]
            state[f'features.{key}.bias'] = (bias - norm.running_mean) * scale + norm.bias
        return state
