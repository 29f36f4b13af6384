# Copyright (c) mmwsss contributors. All rights reserved.
"""The deformable sampler: mmcv's deformable conv, zero-offset behaviour, bounds, gradients."""

import pytest
import torch
import torch.nn.functional as F

from projects.esol.esol import (
    DeformableSampler,
    ESOLExpansionSampler,
    ESOLShrinkageSampler,
    deformable_conv,
    fixed_sampler_weight,
)


@pytest.mark.parametrize(
    'dilation, batch, step, groups', [(1, 3, 32, 1), (2, 3, 2, 1), (1, 4, 3, 1), (1, 2, 32, 4)]
)
def test_deformable_conv_equals_conv2d_at_zero_offsets(dilation, batch, step, groups):
    torch.manual_seed(0)
    x = torch.randn(batch, 4, 6, 7)
    weight = torch.randn(4, 4 // groups, 3, 3)
    offsets = torch.zeros(batch, 18, 6, 7)
    out = deformable_conv(
        x, offsets, weight, padding=dilation, dilation=dilation, im2col_step=step, groups=groups
    )
    ref = F.conv2d(x, weight, padding=dilation, dilation=dilation, groups=groups)
    assert out.shape == ref.shape == (batch, 4, 6, 7)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_deformable_conv_integer_offset_shifts_the_input():
    """Offset layout (dy, dx) per tap: an identity kernel with dx = +1 reads the right neighbour."""
    x = torch.arange(2 * 1 * 4 * 5, dtype=torch.float32).view(2, 1, 4, 5)
    weight = fixed_sampler_weight(1, 3, 'identity')
    offsets = torch.zeros(2, 18, 4, 5)
    offsets[:, 2 * 4 + 1] = 1.0  # centre tap (index 4), horizontal
    out = deformable_conv(x, offsets, weight)
    torch.testing.assert_close(out[..., :-1], x[..., 1:])
    assert (out[..., -1] == 0).all()  # beyond the border: zero padding


def test_deformable_conv_input_smaller_than_kernel():
    x = torch.randn(1, 2, 2, 2)
    weight = torch.randn(2, 2, 3, 3)
    out = deformable_conv(x, torch.zeros(1, 18, 2, 2), weight)
    torch.testing.assert_close(out, F.conv2d(x, weight, padding=1), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('mode', ['identity', 'mean'])
def test_zero_initialised_sampler_is_its_plain_conv(mode):
    torch.manual_seed(0)
    sampler = DeformableSampler(6, weight_init=mode)
    x = torch.rand(2, 6, 5, 5)
    out = sampler(x)
    assert out.shape == x.shape
    assert sampler.weight.shape == (6, 1, 3, 3)  # depthwise: channels stay apart
    torch.testing.assert_close(
        out, F.conv2d(x, sampler.weight, padding=1, groups=6), atol=1e-6, rtol=1e-5
    )
    if mode == 'identity':
        torch.testing.assert_close(out, x)
    # the fixed kernel is a buffer (saved, never optimised); only the offset conv learns
    assert [n for n, _ in sampler.named_parameters()] == ['offset_conv.weight', 'offset_conv.bias']
    assert 'weight' in sampler.state_dict()
    assert not sampler.offset_conv.weight.any() and not sampler.offset_conv.bias.any()


def test_offsets_are_bounded_and_kept_inside_the_map():
    x = torch.rand(1, 2, 4, 4)
    sampler = DeformableSampler(2, weight_init='identity', max_offset=1.5)
    with torch.no_grad():
        sampler.offset_conv.bias.fill_(-100.0)  # every tap wants to go far up and left
    offsets = sampler.offsets(x)
    assert offsets.abs().max() <= 1.5
    # bounded only (no clamping): the centre tap of row 0 would leave the map
    free = DeformableSampler(2, weight_init='identity', max_offset=1.5, keep_inside=False)
    free.load_state_dict(sampler.state_dict())
    assert free.offsets(x)[0, 8, 0, 0].item() == pytest.approx(-1.5, abs=1e-3)
    # with clamping, the centre tap of position (0, 0) stays at (0, 0) and reads x there
    assert offsets[0, 8, 0, 0] == 0 and offsets[0, 9, 0, 0] == 0
    big = DeformableSampler(2, weight_init='identity')
    with torch.no_grad():
        big.offset_conv.bias.fill_(-100.0)
    out = big(x)
    torch.testing.assert_close(out, x[..., :1, :1].expand_as(x))  # everything reads (0, 0)
    # a tap whose base position is in the padding may stay there (zero-offset == conv2d)
    assert big.offsets(x)[0, 0, 0, 0] == 0


def test_no_gradient_reaches_the_input_through_the_offsets():
    x = torch.rand(1, 3, 4, 4, requires_grad=True)
    sampler = DeformableSampler(3)
    sampler.offsets(x).sum().backward()
    assert x.grad is None
    assert sampler.offset_conv.weight.grad is not None


def test_expansion_sampler_reverses_the_offset_gradient():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 5, 5)
    target = torch.rand(2, 3, 5, 5)
    plain = DeformableSampler(3, weight_init='mean')
    expand = ESOLExpansionSampler(3, grad_scale=0.5)
    expand.load_state_dict(plain.state_dict())
    for sampler in (plain, expand):
        F.mse_loss(sampler(x), target).backward()
    g_plain = plain.offset_conv.weight.grad
    assert g_plain.abs().sum() > 0
    torch.testing.assert_close(expand.offset_conv.weight.grad, -0.5 * g_plain)
    torch.testing.assert_close(expand.offset_conv.bias.grad, -0.5 * plain.offset_conv.bias.grad)


def test_sampler_defaults_and_bad_arguments():
    assert ESOLExpansionSampler(4).weight_init == 'mean'
    assert ESOLExpansionSampler(4).grad_scale == 1.0
    assert ESOLShrinkageSampler(4).weight_init == 'identity'
    assert ESOLShrinkageSampler(4).grad_scale is None
    with pytest.raises(ValueError, match='deform_sampler.py.*odd'):
        DeformableSampler(4, kernel_size=2)
    with pytest.raises(ValueError, match='weight_init'):
        DeformableSampler(4, weight_init='random')
    with pytest.raises(ValueError, match='weight_source'):
        DeformableSampler(4, weight_init='copy')
    with pytest.raises(ValueError, match='max_offset'):
        DeformableSampler(4, max_offset=0)
    with pytest.raises(ValueError, match='grad_scale'):
        ESOLExpansionSampler(4, grad_scale=None)
    with pytest.raises(ValueError, match='descent'):
        ESOLShrinkageSampler(4, grad_scale=1.0)
    with pytest.raises(ValueError, match=r'expects \(B, 4, H, W\)'):
        DeformableSampler(4)(torch.rand(1, 3, 4, 4))
    sampler = DeformableSampler(4, weight_init='copy', weight_source='w')
    with pytest.raises(ValueError, match='cannot copy'):
        sampler.copy_weight(torch.rand(4, 4, 1, 1))
    x = torch.rand(1, 4, 5, 5)
    torch.testing.assert_close(sampler(x), x)  # dense identity until a weight is copied
    sampler.copy_weight(torch.ones(4, 4, 3, 3))
    assert (sampler.weight == 1).all()
    torch.testing.assert_close(sampler(x), F.conv2d(x, torch.ones(4, 4, 3, 3), padding=1))


def _cpu_bf16_autocast_available():
    """Whether torch has bf16 autocast on the CPU at all (emulated on any x86 CPU if need be)."""
    check = getattr(torch.amp.autocast_mode, 'is_autocast_available', None)
    return check is None or check('cpu')


needs_cpu_autocast = pytest.mark.skipif(
    not _cpu_bf16_autocast_available(), reason='torch has no CPU autocast'
)


@needs_cpu_autocast
@pytest.mark.parametrize(
    'cls, kwargs',
    [
        (ESOLExpansionSampler, dict(max_offset=2.0)),
        (ESOLShrinkageSampler, dict(max_offset=1.5)),
        (DeformableSampler, dict(keep_inside=False)),
    ],
)
def test_sampler_runs_under_cpu_bf16_autocast(cls, kwargs):
    """mmcv 2.1 has no bf16 deformable-conv kernel ('deformable_im2col_cpu not implemented for
    BFloat16'); under CPU autocast the sampler runs it in fp32, forward and backward."""
    torch.manual_seed(0)
    sampler = cls(4, **kwargs)
    with torch.no_grad():  # non-zero offsets, so that the sampling is really deformable
        sampler.offset_conv.weight.normal_(0, 0.3)
        sampler.offset_conv.bias.uniform_(-1, 1)
    x = torch.rand(2, 4, 7, 6)
    target = torch.rand(2, 4, 7, 6)

    def run(autocast, dtype=torch.float32):
        sampler.zero_grad()
        xi = x.detach().to(dtype).requires_grad_()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            out = sampler(xi)
            loss = (out.float() - target).square().mean()
        loss.backward()
        return out, xi.grad, sampler.offset_conv.weight.grad.clone()

    ref, ref_gx, ref_gw = run(False)
    for dtype in (torch.float32, torch.bfloat16):
        out, gx, gw = run(True, dtype)
        assert out.dtype == dtype  # the features' dtype comes back
        assert gx.dtype == dtype and torch.isfinite(gx).all() and torch.isfinite(gw).all()
        torch.testing.assert_close(out.float(), ref, atol=0.05, rtol=0.05)
        torch.testing.assert_close(gx.float(), ref_gx, atol=2e-3, rtol=0.1)
        assert gw.abs().sum() > 0
        assert F.cosine_similarity(gw.flatten(), ref_gw.flatten(), dim=0) > 0.98


def test_deformable_conv_of_bf16_tensors_runs_in_fp32():
    """Without autocast too: bf16 tensors in, bf16 out, fp32 inside (fp32 stays untouched)."""
    torch.manual_seed(0)
    x, offsets = torch.rand(2, 3, 5, 5), torch.randn(2, 18, 5, 5)
    weight = torch.rand(3, 1, 3, 3)
    ref = deformable_conv(x, offsets, weight, groups=3)
    assert ref.dtype == torch.float32
    out = deformable_conv(x.bfloat16(), offsets.bfloat16(), weight.bfloat16(), groups=3)
    assert out.dtype == torch.bfloat16
    expected = deformable_conv(
        x.bfloat16().float(), offsets.bfloat16().float(), weight.bfloat16().float(), groups=3
    )
    torch.testing.assert_close(out, expected.bfloat16())


@needs_cpu_autocast
def test_offset_bounds_stay_exact_under_bf16_autocast():
    """The in-map clamp adds offsets to positions; in bf16 a position of 300 holds no fraction, so
    the bounds are computed in fp32 (the offsets alone are then rounded to bf16)."""
    sampler = DeformableSampler(1, weight_init='identity', max_offset=2.0)
    with torch.no_grad():
        sampler.offset_conv.bias.fill_(0.3)
    x = torch.rand(1, 1, 300, 2)
    ref = sampler.offsets(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        low = sampler.offsets(x)
    torch.testing.assert_close(low.float(), ref, atol=4e-3, rtol=0)
