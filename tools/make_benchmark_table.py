# Copyright (c) mmwsss contributors. All rights reserved.
"""Leaderboard table (markdown) and metafile from the result files of finished runs.

    python tools/make_benchmark_table.py work_dirs/ [more dirs or result files ...]
        [--metafile-dir configs/drs] [--collection DRS] [--update-readme configs/drs/README.md]
        [--out table.md] [--sort final|none] [--stages]

Prints the table on stdout (with ``--stages``, then the per-stage table: what every stage of each
method measured; each README then also gets it between ``<!-- mmwsss-stages:start -->`` and
``<!-- mmwsss-stages:end -->``); problems with result files go to stderr as
``warning: <file>: <problem>`` and those files are skipped. Exit status: 0 on success, 1 when no
usable result was found, 2 when the --out file, a metafile or a README could not be written.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmwsss.utils.benchmark_table import (STAGES_END,  # noqa: E402
                                          STAGES_START, MetafileError,
                                          aggregate_runs, collect_results,
                                          render_markdown, render_stage_details,
                                          seed_noise_notes, update_metafile,
                                          update_readme)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Leaderboard table and metafile from pipeline_results.json / results.json')
    parser.add_argument('work_dirs', nargs='+',
                        help='work dirs (searched recursively) or result files')
    parser.add_argument('--metafile-dir', action='append', default=[],
                        help='config folder whose metafile.yml gets the rows whose config lies '
                        'in it (repeatable)')
    parser.add_argument('--collection',
                        help='"In Collection" name (default: the folder name in upper case)')
    parser.add_argument('--update-readme', action='append', default=[], metavar='README',
                        help='replace the table between <!-- mmwsss-table:start --> and '
                        '<!-- mmwsss-table:end --> in this file (repeatable)')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--sort', choices=['final', 'none'], default='final',
                        help='row order: by final mIoU (default) or as found')
    parser.add_argument('--stages', action='store_true',
                        help='also the per-stage table (recall, precision, mAP of every stage)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    runs, problems = collect_results(args.work_dirs)
    for problem in problems:
        print(f'warning: {problem} (skipped)', file=sys.stderr)
    if not runs:
        print('error: no usable result file found', file=sys.stderr)
        return 1
    rows = aggregate_runs(runs, sort=args.sort)
    table = render_markdown(rows, seed_noise_notes(rows))
    print(table, end='')
    stages = render_stage_details(rows) if args.stages else None
    if stages:
        print('\n' + stages, end='')
    status = 0
    if args.out:
        try:
            with open(args.out, 'w', encoding='utf-8') as f:
                f.write(table)
        except OSError as e:
            print(f'error: {args.out}: cannot be written ({e.strerror or e})', file=sys.stderr)
            status = 2
    for config_dir in args.metafile_dir:
        try:
            path, count = update_metafile(rows, config_dir, args.collection)
        except (MetafileError, OSError) as e:
            print(f'error: {e}', file=sys.stderr)
            status = 2
            continue
        if count:
            print(f'{path}: {count} model(s) written', file=sys.stderr)
        else:
            print(f'warning: no result has its config under {config_dir}; {path} not touched',
                  file=sys.stderr)
    for readme in args.update_readme:
        try:
            changed = update_readme(readme, table)
            if stages:
                changed = update_readme(readme, stages, STAGES_START, STAGES_END) or changed
        except (ValueError, OSError) as e:
            print(f'error: {e}', file=sys.stderr)
            status = 2
            continue
        print(f'{readme}: tables {"updated" if changed else "unchanged"}', file=sys.stderr)
    return status


if __name__ == '__main__':
    sys.exit(main())
