# Copyright (c) mmwsss contributors. All rights reserved.
"""Test-wide settings: one torch thread (tiny tensors on a shared 2-core machine run far faster)."""
import torch

torch.set_num_threads(1)
