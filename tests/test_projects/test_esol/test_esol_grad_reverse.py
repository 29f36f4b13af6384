# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch

from projects.esol.esol import GradientReversal


@pytest.mark.parametrize('scale', [1.0, 0.25, 0.0])
def test_identity_forward_reversed_scaled_backward(scale):
    x = torch.randn(2, 3, requires_grad=True)
    w = torch.randn(2, 3)
    y = GradientReversal(scale)(x)
    assert torch.equal(y, x)
    (y * w).sum().backward()
    torch.testing.assert_close(x.grad, -scale * w)


def test_bad_scale():
    with pytest.raises(ValueError, match='grad_reverse.py.*scale'):
        GradientReversal(-1.0)
    with pytest.raises(ValueError, match='scale'):
        GradientReversal(True)
