# Copyright (c) mmwsss contributors. All rights reserved.
from .sample_seed import (
    SampleSeedMixin,
    SeededIndex,
    process_seed,
    sample_seed,
    seed_global_rngs,
    seeded_global_rngs,
)
from .seeded_sampler import SeededSampler

__all__ = [
    'SeededSampler',
    'SeededIndex',
    'SampleSeedMixin',
    'sample_seed',
    'process_seed',
    'seed_global_rngs',
    'seeded_global_rngs',
]
