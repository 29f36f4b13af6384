#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Write the embedded synthetic WSSS benchmark (or its pretraining set) in the PASCAL VOC layout.

Examples::

    python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic
    python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic_pretrain --pretrain
    # a variant the benchmark was not tuned on: another generator seed, the hard clutter level
    python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic_hard \
        --difficulty hard --seed 5

With no option it writes exactly what ``make demo`` writes (``SYNTHETIC_BENCHMARK`` or
``SYNTHETIC_PRETRAIN`` in ``mmwsss/datasets/synthetic.py``); each option overrides one setting.
Images are lossless PNGs kept in ``JPEGImages/``; ``meta.json`` records classes, palette, suffixes
and the generator's settings, and ``SyntheticWSSSDataset`` reads it. The same arguments give
byte-identical files.
"""

import argparse
import json
import sys
import time
from typing import Optional, Sequence

from mmwsss.datasets.synthetic import (
    PRETRAIN_SEED_OFFSET,
    SYNTHETIC_BENCHMARK,
    SYNTHETIC_PRETRAIN,
    generate_pretrain_set,
    generate_synthetic_benchmark,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate the synthetic WSSS benchmark (defaults: what `make demo` writes)'
    )
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--num-train', type=int, help='training images (400; pretrain 800)')
    parser.add_argument('--num-val', type=int, help='validation images (100; pretrain 200)')
    parser.add_argument(
        '--num-classes', type=int, help='object classes, background excluded (4; pretrain 8)'
    )
    parser.add_argument(
        '--image-size', type=int, help='side of the square images (256; pretrain 128)'
    )
    parser.add_argument(
        '--difficulty', help="'easy', 'medium' (default), 'hard' or a number in [0, 1]"
    )
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='random seed (the pretraining set adds 101, as the demo)',
    )
    parser.add_argument(
        '--max-objects', type=int, help='objects per image: 1..this (4; pretrain 3)'
    )
    parser.add_argument(
        '--cooccurrence',
        choices=['voc', 'uniform'],
        help="classes per image: 'voc' (VOC 2012's statistics, the default) or 'uniform'",
    )
    parser.add_argument(
        '--params',
        type=json.loads,
        help="JSON dict of generator knob overrides, replacing the preset's "
        '(e.g. \'{"body_size": [0.32, 0.42]}\')',
    )
    parser.add_argument(
        '--pretrain',
        action='store_true',
        help='write the separate shape-classification set (ImageNet stand-in) instead',
    )
    parser.add_argument(
        '--no-parts',
        action='store_true',
        help='do not write PartMask/ (class index on discriminative-part pixels, for evaluation)',
    )
    return parser.parse_args(argv)


def generator_kwargs(args: argparse.Namespace) -> dict:
    """The generator's arguments: the preset, overridden by the options given."""
    kwargs = dict(SYNTHETIC_PRETRAIN if args.pretrain else SYNTHETIC_BENCHMARK)
    options = dict(
        num_train=args.num_train,
        num_val=args.num_val,
        num_object_classes=args.num_classes,
        image_size=args.image_size,
        difficulty=args.difficulty,
        max_objects=args.max_objects,
        params=args.params,
    )
    if args.pretrain:
        if args.no_parts or args.cooccurrence:
            raise SystemExit('--no-parts and --cooccurrence apply to the WSSS benchmark only')
        kwargs['seed'] = args.seed + PRETRAIN_SEED_OFFSET
    else:
        options['cooccurrence'] = args.cooccurrence
        kwargs['seed'] = args.seed
        kwargs['write_parts'] = not args.no_parts
    kwargs.update({k: v for k, v in options.items() if v is not None})
    return kwargs


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.time()
    kwargs = generator_kwargs(args)
    generate = generate_pretrain_set if args.pretrain else generate_synthetic_benchmark
    meta = generate(args.out_dir, **kwargs)
    print(
        f'wrote {meta["splits"]["train"]} train + {meta["splits"]["val"]} val images, classes '
        f'{meta["classes"]}, to {args.out_dir} in {time.time() - start:.1f}s'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
