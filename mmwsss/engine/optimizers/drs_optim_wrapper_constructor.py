# Copyright (c) mmwsss contributors. All rights reserved.
"""Optimizer wrapper constructor for the DRS recipe: pretrained vs new parameters.

The official DRS classifier (``models/vgg.py: get_parameter_groups`` with ``scripts/train_cls.py``)
trains with four SGD groups: pretrained weights at the base lr, pretrained biases at 2x, new weights
(extra convs, classifier, suppressor fc: any parameter whose name contains ``extra`` or ``fc``) at
10x and new biases at 20x, all with the same weight decay. In a config::

    optim_wrapper = dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, nesterov=True,
                       weight_decay=5e-4),
        constructor='DRSOptimWrapperConstructor',
        paramwise_cfg=dict(
            new_keys=['decode_head', '.fc'],   # parameters trained from scratch
            new_lr_mult=10., new_bias_lr_mult=20.,
            lr_mult=1., bias_lr_mult=2.))      # everything else (pretrained)

``paramwise_cfg`` keys (any left out take the DRS value shown above, ``new_keys`` defaults to none):

- ``new_keys`` (list[str]): a parameter is *new* when one of these strings occurs in ``'.' + its
  full name`` (e.g. ``'.backbone.stage1.fc.weight'``), so ``'.fc'`` matches a module named ``fc`` at
  any depth, the top level included; every other parameter is *pretrained*;
- ``lr_mult`` / ``bias_lr_mult``: lr multipliers of pretrained weights / biases;
- ``new_lr_mult`` / ``new_bias_lr_mult``: lr multipliers of new weights / biases;
- ``decay_mult`` / ``bias_decay_mult``: weight-decay multipliers of weights / biases of both kinds
  (default 1: the official code decays every parameter).

A *bias* is a parameter whose own name is ``bias``; everything else (conv and linear weights, norm
scales, a learnable delta) counts as a weight. Parameters with ``requires_grad=False`` are left out,
as MMEngine's default constructor does. Each parameter lands in exactly one of at most four groups.
"""

import logging
from typing import List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmwsss.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['DRSOptimWrapperConstructor']

_FILE = 'mmwsss/engine/optimizers/drs_optim_wrapper_constructor.py'
_DEFAULTS = dict(
    new_keys=(),
    lr_mult=1.0,
    bias_lr_mult=2.0,
    new_lr_mult=10.0,
    new_bias_lr_mult=20.0,
    decay_mult=1.0,
    bias_decay_mult=1.0,
)
# (is new, is bias) -> (lr multiplier key, decay multiplier key), in the
# official group order.
_GROUPS = {
    (False, False): ('lr_mult', 'decay_mult'),
    (False, True): ('bias_lr_mult', 'bias_decay_mult'),
    (True, False): ('new_lr_mult', 'decay_mult'),
    (True, True): ('new_bias_lr_mult', 'bias_decay_mult'),
}


# Subclasses MMEngine's default constructor to keep its config handling and
# its __call__ (optimizer + wrapper building); only the grouping differs.
@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DRSOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Groups parameters into pretrained / new x weight / bias with their own
    learning-rate multipliers (see the module docstring for the keys).

    Args:
        optim_wrapper_cfg (dict): The optimizer wrapper config, with
            ``optimizer`` (which must give ``lr``).
        paramwise_cfg (dict, optional): The grouping options. Defaults to None
            (the DRS multipliers, no new parameters).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        options = dict(_DEFAULTS)
        options.update(self.paramwise_cfg)
        self.options = options
        # A non-empty paramwise_cfg makes the base __call__ use add_params.
        self.paramwise_cfg = options

    def _validate_cfg(self) -> None:
        """Check ``paramwise_cfg`` (called by the base ``__init__``)."""
        if not isinstance(self.paramwise_cfg, dict):
            raise TypeError(
                f'{_FILE}: paramwise_cfg must be a dict or None, '
                f'got {type(self.paramwise_cfg).__name__}.'
            )
        unknown = sorted(set(self.paramwise_cfg) - set(_DEFAULTS))
        if unknown:
            raise KeyError(
                f'{_FILE}: unknown paramwise_cfg keys {unknown}; '
                f'DRSOptimWrapperConstructor takes {sorted(_DEFAULTS)} '
                '(use DefaultOptimWrapperConstructor for custom_keys and '
                'the like).'
            )
        if self.base_lr is None:
            raise ValueError(f'{_FILE}: the optimizer config must set `lr`.')
        keys = self.paramwise_cfg.get('new_keys', ())
        if isinstance(keys, str) or not all(isinstance(key, str) and key for key in keys):
            raise TypeError(f'{_FILE}: new_keys must be a list of non-empty strings, got {keys!r}.')
        for name in _DEFAULTS:
            if name != 'new_keys' and name in self.paramwise_cfg:
                value = self.paramwise_cfg[name]
                if not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f'{_FILE}: {name} must be a number >= 0, got {value!r}.')

    def is_new(self, name: str) -> bool:
        """Whether the parameter called ``name`` (full dotted name) is new."""
        dotted = f'.{name}'
        return any(key in dotted for key in self.options['new_keys'])

    def add_params(
        self, params: List[dict], module: nn.Module, prefix: str = '', is_dcn_module=None
    ) -> None:
        """Append the (at most four) parameter groups of ``module``.

        Args:
            params (list[dict]): Parameter groups, appended to in place.
            module (nn.Module): The model (already unwrapped from DDP).
            prefix (str): Prefix of the parameter names. Defaults to ''.
            is_dcn_module: Unused; kept for the base-class signature.
        """
        groups = {kind: [] for kind in _GROUPS}
        names = {kind: [] for kind in _GROUPS}
        matched = set()
        # named_parameters() yields a shared parameter once.
        for name, param in module.named_parameters(prefix=prefix):
            if not param.requires_grad:
                continue
            new = self.is_new(name)
            if new:
                matched.update(key for key in self.options['new_keys'] if key in f'.{name}')
            kind = (new, name.rsplit('.', 1)[-1] == 'bias')
            groups[kind].append(param)
            names[kind].append(name)

        for key in self.options['new_keys']:
            if key not in matched:
                print_log(
                    f'DRSOptimWrapperConstructor: new key {key!r} matches no trainable parameter.',
                    logger='current',
                    level=logging.WARNING,
                )
        for kind, (lr_key, decay_key) in _GROUPS.items():
            if not groups[kind]:
                continue
            group = dict(params=groups[kind], lr=self.base_lr * self.options[lr_key])
            if self.base_wd is not None:
                group['weight_decay'] = self.base_wd * self.options[decay_key]
            params.append(group)
            label = ('new' if kind[0] else 'pretrained') + (' biases' if kind[1] else ' weights')
            print_log(
                f'DRSOptimWrapperConstructor: {len(names[kind])} {label}, '
                f'lr={group["lr"]:g}, weight_decay='
                f'{group.get("weight_decay", 0):g}: ' + ', '.join(names[kind]),
                logger='current',
            )
