#!/usr/bin/env python
# Copyright (c) mmwsss contributors. All rights reserved.
"""Write the embedded synthetic WSSS benchmark (or its pretraining set) in the PASCAL VOC layout.

Examples::

    python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic
    python tools/dataset_converters/make_synthetic_benchmark.py data/synthetic_pretrain --pretrain

Images are lossless PNGs kept in ``JPEGImages/``; ``meta.json`` records classes, palette and
suffixes, and ``SyntheticWSSSDataset`` reads it. The same arguments give byte-identical files.
"""
import argparse
import sys
import time
from typing import Optional, Sequence


from mmwsss.datasets.synthetic import generate_pretrain_set
from mmwsss.datasets.synthetic import generate_synthetic_benchmark


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate the synthetic WSSS benchmark')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument(
        '--num-train', type=int, default=None, help='training images (400; pretrain 800)')
    parser.add_argument(
        '--num-val', type=int, default=None, help='validation images (100; pretrain 200)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='object classes, background excluded (4; pretrain 8)')
    parser.add_argument('--image-size', type=int, default=64, help='side of the square images')
    parser.add_argument(
        '--difficulty', default='medium', help="'easy', 'medium', 'hard' or a number in [0, 1]")
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--max-objects', type=int, default=3, help='objects per image: 1..this (<= 3)')
    parser.add_argument(
        '--pretrain',
        action='store_true',
        help='write the separate shape-classification set (ImageNet stand-in) instead')
    parser.add_argument(
        '--no-parts',
        action='store_true',
        help='do not write PartMask/ (class index on discriminative-part pixels, for evaluation)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.time()
    common = dict(
        image_size=args.image_size,
        difficulty=args.difficulty,
        seed=args.seed,
        max_objects=args.max_objects)
    if args.pretrain:
        if args.no_parts:
            raise SystemExit('--no-parts applies to the WSSS benchmark only')
        meta = generate_pretrain_set(
            args.out_dir,
            num_train=args.num_train or 800,
            num_val=200 if args.num_val is None else args.num_val,
            num_object_classes=args.num_classes or 8,
            **common)
    else:
        meta = generate_synthetic_benchmark(
            args.out_dir,
            num_train=args.num_train or 400,
            num_val=100 if args.num_val is None else args.num_val,
            num_object_classes=args.num_classes or 4,
            write_parts=not args.no_parts,
            **common)
    print(f'wrote {meta["splits"]["train"]} train + {meta["splits"]["val"]} val images, classes '
          f'{meta["classes"]}, to {args.out_dir} in {time.time() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
