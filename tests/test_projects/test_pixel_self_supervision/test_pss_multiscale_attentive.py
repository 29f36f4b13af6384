# Copyright (c) mmwsss contributors. All rights reserved.
"""MAM: normalised maps, fusion over scales, and the attentive loss's value and direction."""

import pytest
import torch

from projects.pixel_self_supervision.pixel_self_supervision import (
    MultiScaleAttentiveModule,
    attentive_loss,
    fuse_maps,
    normalized_maps,
)


def test_loss_is_zero_when_the_maps_agree():
    torch.manual_seed(0)
    maps = torch.rand(2, 3, 4, 4)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert attentive_loss(maps, maps.clone(), labels).item() == 0.0
    # classes absent from the labels do not count
    other = maps.clone()
    other[0, 1] += 0.5
    assert attentive_loss(maps, other, labels).item() == 0.0
    other[0, 0] += 0.5
    assert attentive_loss(maps, other, labels) > 0


def test_loss_pushes_main_up_where_support_is_higher():
    main = torch.full((1, 1, 1, 4), 0.5, requires_grad=True)
    support = torch.tensor([[[[0.9, 0.5, 0.1, 0.7]]]])
    labels = torch.ones(1, 1)
    loss = attentive_loss(main, support, labels, up_weight=2.0, down_weight=0.5)
    # mean of 2 * (0.4 + 0.2) + 0.5 * 0.4 over 4 pixels
    assert loss.item() == pytest.approx((2 * 0.6 + 0.5 * 0.4) / 4)
    loss.backward()
    grad = main.grad.flatten()
    assert grad[0] < 0 and grad[3] < 0  # descent raises MainNet where SupportNet is higher
    assert grad[2] > 0  # and lowers it, less strongly, where SupportNet is lower
    assert abs(grad[0]) > abs(grad[2])
    # the target gets no gradient
    support.requires_grad_(True)
    attentive_loss(main, support, labels).backward()
    assert support.grad is None


def test_normalized_maps_and_fusion():
    cams = torch.tensor([[[[-1.0, 2.0, 4.0]], [[1.0, 1.0, 0.0]]]])
    maps = normalized_maps(cams, torch.tensor([[1.0, 0.0]]), eps=0.0)
    assert torch.allclose(maps, torch.tensor([[[[0.0, 0.5, 1.0]], [[0.0, 0.0, 0.0]]]]))
    a, b = torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.2])
    assert torch.allclose(fuse_maps([a, b], 'max'), torch.tensor([0.5, 1.0]))
    assert torch.allclose(fuse_maps([a, b], 'mean'), torch.tensor([0.25, 0.6]))
    with pytest.raises(ValueError, match='fusion'):
        fuse_maps([a], 'sum')


def test_module_scales_and_loss():
    mam = MultiScaleAttentiveModule(scales=(0.5, 1.0, 40), fusion='max', loss_weight=3.0)
    assert mam.scaled_size(0.5, (64, 48)) == (32, 24)
    assert mam.scaled_size(40, (64, 48)) == (40, 40)
    cams = torch.randn(2, 3, 4, 4, requires_grad=True)
    labels = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    same = normalized_maps(cams.detach(), labels)
    assert mam.loss(cams, [same, same * 0.5], labels).item() == pytest.approx(0.0, abs=1e-6)
    loss = mam.loss(cams, [same, torch.ones_like(same)], labels)
    assert loss > 0
    loss.backward()
    assert cams.grad is not None
    for bad in (
        dict(scales=()),
        dict(scales=(0.0,)),
        dict(scales=(True,)),
        dict(fusion='x'),
        dict(up_weight=-1.0),
    ):
        with pytest.raises(ValueError):
            MultiScaleAttentiveModule(**bad)
