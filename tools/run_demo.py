# Copyright (c) mmwsss contributors. All rights reserved.
"""`make demo`: the whole DRS pipeline on the embedded synthetic benchmark, then its stage table.

1. writes the benchmark (data/synthetic) and its pretraining set (data/synthetic_pretrain) unless they
   are there already, generated with the same arguments;
2. runs configs/drs/pipeline_drs_synthetic.py with tools/run_pipeline.py's runner (resumable: run it
   again after an interruption and it continues);
3. prints each stage's mIoU as the runs measured it, and the wall time.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmengine.config import Config  # noqa: E402

import mmwsss  # noqa: E402,F401
from mmwsss.apis.pipeline_runner import PipelineRunner  # noqa: E402
from mmwsss.datasets import generate_synthetic_benchmark  # noqa: E402
from mmwsss.utils.precision import PRECISIONS, describe_precision  # noqa: E402
from mmwsss.utils.stage_table import format_stage_table  # noqa: E402

PIPELINE = 'configs/drs/pipeline_drs_synthetic.py'
# (folder, generator arguments, seed offset): the benchmark, and its pretraining set (8 other classes)
DATASETS = (
    ('data/synthetic', dict(num_train=400, num_val=100, num_object_classes=4), 0),
    ('data/synthetic_pretrain', dict(num_train=800, num_val=200, num_object_classes=8), 101),
)


def ensure_data(seed: int) -> None:
    for out_dir, kwargs, offset in DATASETS:
        meta_path = osp.join(out_dir, 'meta.json')
        if osp.isfile(meta_path):
            with open(meta_path, encoding='utf-8') as f:
                meta = json.load(f)
            if meta.get('seed') == seed + offset and meta.get(
                    'num_object_classes') == kwargs['num_object_classes'] and meta.get('splits') == dict(
                    train=kwargs['num_train'], val=kwargs['num_val']):
                print(f'[demo] {out_dir}: present')
                continue
        start = time.time()
        generate_synthetic_benchmark(out_dir, seed=seed + offset, **kwargs)
        print(f'[demo] {out_dir}: written in {time.time() - start:.1f}s')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/pipeline_drs_synthetic')
    parser.add_argument('--seed', type=int, default=0, help='data and training seed')
    parser.add_argument('--data-only', action='store_true', help='only write the datasets')
    parser.add_argument(
        '--precision', choices=PRECISIONS, default='auto',
        help="'auto' (default): bf16 autocast where the CPU has native bf16, else fp32")
    args = parser.parse_args()
    os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))
    start = time.time()
    ensure_data(args.seed)
    if args.data_only:
        return 0
    cfg = Config.fromfile(PIPELINE)
    cfg.pipeline.seed = args.seed
    runner = PipelineRunner(cfg, PIPELINE, work_dir=args.work_dir, precision=args.precision)
    print(f'[demo] numerics: {describe_precision(runner.dtype, False)}')
    summary = runner.run()
    print()
    print(format_stage_table(summary))
    print(f'\n[demo] numerics: {runner.precision}; done in {(time.time() - start) / 60:.1f} min; results: '
          f'{osp.join(args.work_dir, "pipeline_results.json")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
