# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch

from projects.esol.esol import FeatureClip


def test_relative_clip_caps_at_a_fraction_of_the_channel_max():
    x = torch.rand(2, 3, 4, 5) * torch.tensor([1.0, 5.0, 10.0]).view(1, 3, 1, 1)
    out = FeatureClip(tau=0.5)(x)
    cap = 0.5 * x.amax(dim=(2, 3), keepdim=True)
    assert out.shape == x.shape
    assert (out <= cap + 1e-6).all()
    below = x <= cap
    assert torch.equal(out[below], x[below])
    assert torch.allclose(out[~below], cap.expand_as(x)[~below])
    assert torch.equal(FeatureClip(tau=1.0)(x), x)


def test_gradient_through_the_max_is_switchable():
    x = torch.tensor([[[[1.0, 4.0]]]], requires_grad=True)
    FeatureClip(tau=0.5)(x).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.5]]]]  # 1 passes, 4 is capped at 0.5 * max(x)
    x.grad = None
    FeatureClip(tau=0.5, detach_max=True)(x).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0]]]]


def test_absolute_clip_and_bad_arguments():
    x = torch.linspace(0, 3, 12).view(1, 1, 3, 4)
    assert FeatureClip(mode='absolute', value=1.0)(x).max() == 1.0
    with pytest.raises(ValueError, match='feature_clip.py.*tau'):
        FeatureClip(tau=0)
    with pytest.raises(ValueError, match='mode'):
        FeatureClip(mode='soft')
    with pytest.raises(ValueError, match='value'):
        FeatureClip(mode='absolute')
    with pytest.raises(ValueError, match='expects'):
        FeatureClip()(torch.rand(3, 4))
