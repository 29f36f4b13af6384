# Copyright (c) mmwsss contributors. All rights reserved.
"""Region masks, masked-average prototypes and the pixel contrastive loss of RCM."""

import pytest
import torch
import torch.nn.functional as F

from projects.pixel_self_supervision.pixel_self_supervision import (
    RegionalContrastiveModule,
    class_region_masks,
    masked_prototypes,
    pixel_contrastive_loss,
)


def test_class_region_masks_thresholds_and_labels():
    # one image, 2 classes, 1x4 pixels; class 2 is not in the labels
    maps = torch.tensor([[[[0.9, 0.3, 0.05, 0.6]], [[0.1, 0.2, 0.0, 0.95]]]])
    masks = class_region_masks(maps, torch.tensor([[1.0, 0.0]]), fg_threshold=0.5, bg_threshold=0.1)
    assert masks.shape == (1, 1, 4)
    # class 1 (index 0 + 1); 0.3 between the thresholds: ignored; 0.05: background; class 2 masked
    assert masks.tolist() == [[[1, -1, 0, 1]]]
    both = class_region_masks(maps, torch.tensor([[1.0, 1.0]]), 0.5, 0.1)
    assert both.tolist() == [[[1, -1, 0, 2]]]
    with pytest.raises(ValueError, match='bg_threshold'):
        class_region_masks(maps, torch.tensor([[1.0, 0.0]]), 0.2, 0.5)


def test_prototypes_equal_masked_means():
    feats = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    masks = torch.tensor([[[0, 1], [1, -1]], [[2, 2], [0, 1]]])
    protos, valid = masked_prototypes(feats, masks, num_classes=3, scope='image')
    assert protos.shape == (2, 3, 3) and valid.shape == (2, 3)
    flat = feats.flatten(2)  # (B, C, 4)
    expect_img0_cls1 = flat[0][:, [1, 2]].mean(1)
    assert torch.allclose(protos[0, 1], expect_img0_cls1)
    assert torch.allclose(protos[0, 0], flat[0][:, 0])
    assert not valid[0, 2] and torch.equal(protos[0, 2], torch.zeros(3))  # no class-2 pixel
    assert torch.allclose(protos[1, 2], flat[1][:, [0, 1]].mean(1))
    assert valid.tolist() == [[True, True, False], [True, True, True]]

    batch, bvalid = masked_prototypes(feats, masks, num_classes=3, scope='batch')
    assert batch.shape == (1, 3, 3) and bvalid.all()
    # over the batch: class 1 = pixels 1, 2 of image 0 and pixel 3 of image 1 (ignored pixel out)
    expect = torch.stack([flat[0][:, 1], flat[0][:, 2], flat[1][:, 3]], 1).mean(1)
    assert torch.allclose(batch[0, 1], expect)


def _setup():
    torch.manual_seed(0)
    protos = F.normalize(torch.randn(1, 3, 8), dim=-1)
    masks = torch.tensor([[[0, 1, 2], [2, 1, -1]]])
    valid = torch.ones(1, 3, dtype=torch.bool)
    return protos, valid, masks


def test_contrastive_loss_is_lowest_at_the_prototypes():
    protos, valid, masks = _setup()
    at_protos = protos[0][masks.clamp(min=0)].permute(0, 3, 1, 2)  # (1, 8, 2, 3)
    best = pixel_contrastive_loss(at_protos, protos, valid, masks, temperature=0.1)
    # scaling does not matter (cosine similarity)
    assert torch.allclose(best, pixel_contrastive_loss(at_protos * 5, protos, valid, masks, 0.1))
    for seed in range(5):
        torch.manual_seed(seed)
        noisy = at_protos + 0.5 * torch.randn_like(at_protos)
        assert pixel_contrastive_loss(noisy, protos, valid, masks, 0.1) > best
    wrong = protos[0][(masks.clamp(min=0) + 1) % 3].permute(0, 3, 1, 2)  # each at another class
    assert pixel_contrastive_loss(wrong, protos, valid, masks, 0.1) > best + 1
    # gradient descent from a random start lowers it
    emb = torch.randn(1, 8, 2, 3, requires_grad=True)
    loss0 = pixel_contrastive_loss(emb, protos, valid, masks, 0.1)
    loss0.backward()
    with torch.no_grad():
        assert pixel_contrastive_loss(emb - 0.5 * emb.grad, protos, valid, masks, 0.1) < loss0


def test_contrastive_loss_invalid_prototypes_and_empty_masks():
    protos, valid, masks = _setup()
    emb = torch.randn(1, 8, 2, 3, requires_grad=True)
    none = pixel_contrastive_loss(emb, protos, valid, torch.full_like(masks, -1), 0.1)
    assert none.item() == 0.0
    none.backward()  # still attached to the graph (DDP needs every parameter used)
    assert emb.grad is not None
    # an absent prototype is no negative: only class 0 and 1 compete
    some = valid.clone()
    some[0, 2] = False
    two = torch.tensor([[[0, 1, 1], [0, 1, -1]]])
    loss = pixel_contrastive_loss(emb, protos, some, two, 0.1)
    logits = torch.einsum('bchw,kc->bkhw', F.normalize(emb, dim=1), protos[0, :2]) / 0.1
    assert torch.allclose(loss, F.cross_entropy(logits, two, ignore_index=-1))
    with pytest.raises(ValueError, match='no prototype'):
        pixel_contrastive_loss(emb, protos, some, masks, 0.1)
    with pytest.raises(ValueError, match='temperature'):
        pixel_contrastive_loss(emb, protos, valid, masks, 0.0)


def test_module_loss_trains_only_the_projection_side():
    rcm = RegionalContrastiveModule(
        in_channels=4,
        support_channels=6,
        hidden_channels=5,
        fg_threshold=0.5,
        bg_threshold=0.2,
        loss_weight=2.0,
    )
    main = torch.randn(2, 4, 3, 3, requires_grad=True)
    support = torch.randn(2, 6, 3, 3, requires_grad=True)
    maps = torch.rand(2, 3, 3, 3)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert rcm(main).shape == (2, 6, 3, 3)
    loss = rcm.loss(main, support, maps, labels)
    assert loss.dim() == 0 and loss > 0
    loss.backward()
    assert main.grad is not None and support.grad is None  # prototypes carry no gradient
    assert rcm.projection[0].weight.grad is not None
    with pytest.raises(ValueError, match='share'):
        rcm.loss(main, support[..., :2], maps, labels)
    for bad in (
        dict(in_channels=None),
        dict(in_channels=4, temperature=0),
        dict(in_channels=4, prototype_scope='x'),
        dict(in_channels=4, feature='x'),
    ):
        with pytest.raises(ValueError):
            RegionalContrastiveModule(**bad)
