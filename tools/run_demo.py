# Copyright (c) mmwsss contributors. All rights reserved.
"""`make demo`: plain CAM and DRS through the whole pipeline on the embedded synthetic benchmark.

1. writes the benchmark (data/synthetic) and its pretraining set (data/synthetic_pretrain) unless
   they are there already, generated with the same arguments;
2. runs configs/drs/pipelines/pipeline_cam_synthetic.py, then
   configs/drs/pipelines/pipeline_drs_synthetic.py, with tools/run_pipeline.py's runner (they
   share the pretraining and the supervised upper bound; resumable: run it again after an
   interruption and it continues);
3. prints each stage's mIoU as the runs measured it, the two rows side by side (the table tool's
   leaderboard and per-stage tables), the numerics it chose and the wall time.
"""

import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time

from mmengine.config import Config

from mmwsss.apis import PipelineRunner
from mmwsss.datasets import generate_pretrain_set, generate_synthetic_benchmark
from mmwsss.datasets.synthetic import (
    FORMAT_VERSION,
    PRETRAIN_SEED_OFFSET,
    SYNTHETIC_BENCHMARK,
    SYNTHETIC_PRETRAIN,
    resolve_difficulty,
)
from mmwsss.utils.precision import PRECISIONS, describe_precision

# the tool beside this one; the comment on the statement's first line keeps isort from moving it
from make_benchmark_table import (  # isort: skip  (beside this)
    aggregate_runs,
    collect_results,
    format_stage_table,
    render_markdown,
    render_stage_details,
)

#: `make demo` runs the baseline and the method on the same data, sharing the pretraining (the
#: ImageNet stand-in) and the fully supervised upper bound: plain CAM, then DRS.
PIPELINES = (
    'configs/drs/pipelines/pipeline_cam_synthetic.py',
    'configs/drs/pipelines/pipeline_drs_synthetic.py',
)
# (folder, generator, its arguments, seed offset): the benchmark and its pretraining set
DATASETS = (
    ('data/synthetic', generate_synthetic_benchmark, SYNTHETIC_BENCHMARK, 0),
    ('data/synthetic_pretrain', generate_pretrain_set, SYNTHETIC_PRETRAIN, PRETRAIN_SEED_OFFSET),
)


def _matches(meta: dict, kwargs: dict, seed: int) -> bool:
    """Whether a written ``meta.json`` is what these generator arguments write."""
    if meta.get('format_version') != FORMAT_VERSION or meta.get('seed') != seed:
        return False
    expected = dict(kwargs)
    splits = dict(train=expected.pop('num_train'), val=expected.pop('num_val'))
    if meta.get('splits') != splits:
        return False
    parts = expected.pop('write_parts', meta.get('task') == 'wsss')
    if parts != ('part_path' in meta.get('folders', {})):
        return False
    overrides = expected.pop('params', None) or {}
    if json.loads(json.dumps(overrides)) != meta.get('param_overrides', {}):
        return False
    if 'difficulty' in expected:
        expected['difficulty'] = resolve_difficulty(expected['difficulty'])
    return all(meta.get(k) == v for k, v in expected.items())


def ensure_data(seed: int) -> None:
    """Write the benchmark and its pretraining set unless they are there with these arguments."""
    for out_dir, generate, kwargs, offset in DATASETS:
        meta_path = osp.join(out_dir, 'meta.json')
        if osp.isfile(meta_path):
            with open(meta_path, encoding='utf-8') as f:
                meta = json.load(f)
            if _matches(meta, kwargs, seed + offset):
                print(f'[demo] {out_dir}: present')
                continue
            print(f'[demo] {out_dir}: written with other arguments; writing it again')
            shutil.rmtree(out_dir)
        start = time.time()
        generate(out_dir, seed=seed + offset, **kwargs)
        print(f'[demo] {out_dir}: written in {time.time() - start:.1f}s')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--work-root',
        default='work_dirs',
        help='the pipelines work in <work-root>/<pipeline config name>',
    )
    parser.add_argument('--seed', type=int, default=0, help='data and training seed')
    parser.add_argument('--data-only', action='store_true', help='only write the datasets')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='auto',
        help="'auto' (default): bf16 autocast where the CPU has native bf16, else fp32",
    )
    args = parser.parse_args()
    os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))
    start = time.time()
    ensure_data(args.seed)
    if args.data_only:
        return 0
    summaries, dirs = [], []
    for path in PIPELINES:
        cfg = Config.fromfile(path)
        cfg.pipeline.seed = args.seed
        work_dir = osp.join(args.work_root, osp.splitext(osp.basename(path))[0])
        runner = PipelineRunner(cfg, path, work_dir=work_dir, precision=args.precision)
        print(
            f'[demo] {cfg.pipeline.method}: {describe_precision(runner.dtype, False)}', flush=True
        )
        summaries.append(runner.run())
        dirs.append(work_dir)
    print()
    for summary in summaries:
        print(format_stage_table(summary), end='\n\n')
    runs, _ = collect_results(dirs)
    rows = aggregate_runs(runs)
    print(render_markdown(rows), end='')
    print(render_stage_details(rows), end='')
    print(
        f'\n[demo] numerics: {summaries[-1]["precision"]}; done in '
        f'{(time.time() - start) / 60:.1f} min; results: '
        + ', '.join(osp.join(d, 'pipeline_results.json') for d in dirs)
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
