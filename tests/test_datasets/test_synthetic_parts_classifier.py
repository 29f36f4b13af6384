# Copyright (c) mmwsss contributors. All rights reserved.
"""The benchmark's defining property: the small part alone tells the classes apart."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsss.datasets import make_sample, sample_rng

NUM_CLASSES = 4


def part_only_set(split, count):
    """Single-object images where everything but the discriminative part is blanked to grey."""
    images, targets = [], []
    for i in range(count):
        s = make_sample(sample_rng(11, split, i), NUM_CLASSES, 64, 'medium', max_objects=1)
        keep = (s.part_mask > 0)[..., None]
        img = np.where(keep, s.image.astype(np.float32) / 255.0, np.float32(0.5))
        images.append(img.transpose(2, 0, 1))
        targets.append(s.labels[0] - 1)
        assert keep.sum() < 0.05 * keep.size  # only a few pixels stay visible
    return torch.from_numpy(np.stack(images)), torch.tensor(targets)


def test_parts_alone_classify_well_above_chance():
    torch.manual_seed(0)
    x_train, y_train = part_only_set('train', 240)
    x_val, y_val = part_only_set('val', 80)
    net = nn.Sequential(
        nn.AvgPool2d(2),
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(16, NUM_CLASSES),
    )
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):
        idx = torch.randint(0, len(x_train), (32,), generator=gen)
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        accuracy = (net(x_val).argmax(1) == y_val).float().mean().item()
    assert set(y_val.tolist()) == set(range(NUM_CLASSES))
    assert accuracy >= 0.8, f'part-only accuracy {accuracy:.2f} (chance 0.25)'
