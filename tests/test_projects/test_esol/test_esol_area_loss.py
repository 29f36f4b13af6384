# Copyright (c) mmwsss contributors. All rights reserved.
import pytest
import torch

from projects.esol.esol import ESOLAreaLoss, normalised_area


def test_normalised_area_values():
    cams = torch.zeros(1, 3, 4, 4)
    cams[0, 0] = 2.0  # flat: area ~ 1
    cams[0, 1, 1, 1] = 5.0  # one peak: area ~ 1 / 16
    cams[0, 2] = -1.0  # negative everywhere: rectified to nothing
    area = normalised_area(cams)
    assert area.shape == (1, 3)
    assert area[0, 0] == pytest.approx(1.0, abs=1e-4)
    assert area[0, 1] == pytest.approx(1 / 16, abs=1e-4)
    assert area[0, 2] == 0


def test_only_present_classes_count():
    cams = torch.zeros(2, 2, 4, 4)
    cams[:, 0] = 1.0  # area 1
    cams[:, 1, 0, 0] = 1.0  # area 1/16
    loss = ESOLAreaLoss(loss_weight=2.0)
    assert loss(cams, torch.tensor([[1.0, 0.0], [1.0, 0.0]])).item() == pytest.approx(2.0, abs=1e-3)
    assert loss(cams, torch.tensor([[0.0, 1.0], [1.0, 1.0]])).item() == pytest.approx(
        2.0 * (1 / 16 + 1 / 16 + 1) / 3, abs=1e-3
    )
    assert loss(cams, torch.zeros(2, 2)).item() == 0
    assert loss.loss_name == 'loss_area'


@pytest.mark.parametrize('detach_max', [False, True])
def test_area_loss_shrinks_a_map(detach_max):
    """A toy CAM (a linear map of a fixed feature) optimised with the area loss gets smaller."""
    torch.manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing='ij')
    blob = torch.exp(-((yy - 4) ** 2 + (xx - 4) ** 2) / 18.0)  # a wide object
    feats = torch.stack([blob, torch.ones_like(blob), blob**4])[None]  # (1, 3, 8, 8)
    w = torch.tensor([1.0, 0.3, 0.1], requires_grad=True)
    loss_fn = ESOLAreaLoss(loss_weight=1.0, detach_max=detach_max)
    labels = torch.ones(1, 1)

    def cam():
        return (w.view(1, 3, 1, 1) * feats).sum(1, keepdim=True)

    def foreground(c):  # pixels above half the peak
        m = torch.relu(c)
        return (m > 0.5 * m.amax()).float().mean().item()

    start_loss, start_fg = loss_fn(cam(), labels).item(), foreground(cam())
    opt = torch.optim.SGD([w], lr=0.5)
    for _ in range(30):
        opt.zero_grad()
        loss_fn(cam(), labels).backward()
        opt.step()
    assert loss_fn(cam(), labels).item() < 0.8 * start_loss
    assert foreground(cam()) < start_fg


def test_bad_arguments():
    with pytest.raises(ValueError, match='area_loss.py.*loss_weight'):
        ESOLAreaLoss(loss_weight=-1)
    with pytest.raises(ValueError, match="start with 'loss_'"):
        ESOLAreaLoss(loss_name='area')
    with pytest.raises(ValueError, match='expects cams'):
        ESOLAreaLoss()(torch.rand(1, 2, 3, 3), torch.ones(1, 3))
