# Copyright (c) mmwsss contributors. All rights reserved.
"""Leaderboard table (markdown) and metafile from the result files of finished runs.

    python tools/make_benchmark_table.py work_dirs/ [more dirs or result files ...]
        [--metafile-dir configs/drs] [--collection DRS] [--update-readme configs/drs/README.md]
        [--out table.md] [--sort final|none] [--stages]

Also the library of the other table tools (``run_pipeline.py`` and ``run_demo.py`` import it):
reads the ``pipeline_results.json`` files a pipeline work dir gets (and ``results.json`` files of
stages run on their own), aggregates the runs of one method over seeds (mean, sample standard
deviation), renders markdown tables, writes/merges an OpenMMLab model-index ``metafile.yml`` and
replaces a table between two markers of a README. No numbers are typed by hand anywhere.

Prints the table on stdout (with ``--stages``, then the per-stage table: what every stage of each
method measured; each README then also gets it between ``<!-- mmwsss-stages:start -->`` and
``<!-- mmwsss-stages:end -->``); problems with result files go to stderr as
``warning: <file>: <problem>`` and those files are skipped. Exit status: 0 on success, 1 when no
usable result was found, 2 when the --out file, a metafile or a README could not be written.
"""

import argparse
import copy
import json
import math
import os
import os.path as osp
import re
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from mmwsss.apis.pipeline_runner import RESULT_KINDS
from mmwsss.datasets.stage_files import atomic_write_bytes

FORMAT_VERSION = 1
PIPELINE_FILE = 'pipeline_results.json'
STAGE_FILE = 'results.json'
KINDS = RESULT_KINDS
TABLE_START = '<!-- mmwsss-table:start -->'
TABLE_END = '<!-- mmwsss-table:end -->'
STAGES_START = '<!-- mmwsss-stages:start -->'
STAGES_END = '<!-- mmwsss-stages:end -->'

# metric columns: key -> (stage kind, preferred split, table header, metafile metric name)
METRIC_COLUMNS: Dict[str, Tuple[str, str, str, str]] = {
    'localization': (
        'localization',
        'train',
        'Loc. map mIoU (train)',
        'Localization map mIoU (train)',
    ),
    'refined': ('refined', 'train', 'Refined map mIoU (train)', 'Refined map mIoU (train)'),
    'pseudo_label': (
        'pseudo_label',
        'train',
        'Pseudo-label mIoU (train)',
        'Pseudo label mIoU (train)',
    ),
    'final': ('segmentation', 'val', 'Final mIoU (val)', 'mIoU'),
    'supervised': ('supervised', 'val', 'Supervised mIoU (val)', 'Supervised upper bound mIoU'),
}
# columns of the per-stage table: header -> the metric keys that fill it, first found wins (the
# threshold sweep of localization-map stages, the pseudo-label metric of pseudo-label records)
STAGE_COLUMNS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ('mIoU', ('mIoU',)),
    ('Best bg threshold', ('sweep/best_threshold',)),
    ('Recall (class mean)', ('sweep/best_mRecall', 'pseudo_label/mRecall')),
    ('Precision (class mean)', ('sweep/best_mPrecision', 'pseudo_label/mPrecision')),
    ('Fg recall', ('sweep/best_fgRecall',)),
    ('Fg precision', ('sweep/best_fgPrecision',)),
    ('Part recall', ('sweep/best_partRecall', 'pseudo_label/partRecall')),
    ('Body recall', ('sweep/best_bodyRecall', 'pseudo_label/bodyRecall')),
    ('Classifier mAP', ('multi-label/mAP',)),
)
# what each result kind is called in the tables: the per-stage leaderboard table, and the table
# of one run (run_pipeline.py, make demo)
_STAGE_TITLES = dict(
    zip(
        KINDS,
        (
            'pretraining (mAP)',
            'localization maps',
            'refined maps',
            'pseudo labels',
            'final segmentation',
            'supervised upper bound',
        ),
    )
)
_RUN_TITLES = dict(
    _STAGE_TITLES,
    pretrain='pretraining (ImageNet stand-in)',
    supervised='fully supervised upper bound',
)
# stages whose training counts towards the WSSS method's training time
WSSS_KINDS = ('localization', 'refined', 'pseudo_label', 'segmentation')


class ResultFileError(ValueError):
    """A result file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f'{path}: {problem}')
        self.path = path
        self.problem = problem


class MetafileError(ValueError):
    """An existing metafile that cannot be merged; the message names the file."""


# --------------------------------------------------------------------------------------- data
@dataclass
class StageResult:
    """One stage's ``results.json`` (see the pipeline contract)."""

    stage: str
    kind: str
    split: Optional[str]
    metrics: Dict[str, float]
    params: Optional[int] = None
    train_time_s: Optional[float] = None
    checkpoint: Optional[str] = None
    config: Optional[str] = None  # the stage config, as the pipeline config names it


@dataclass
class RunResult:
    """One run: a pipeline (all its stages) or a stage run on its own (``is_pipeline`` False)."""

    source: str
    method: str
    backbone: Optional[str]
    dataset: Optional[str]
    seed: Optional[int]
    config: Optional[str]
    pipeline: Optional[str]
    stages: List[StageResult]
    is_pipeline: bool = True
    precision: Optional[str] = None  # 'fp32', 'bf16', ... (None: not recorded)

    def miou(self, column: str) -> Optional[float]:
        """The mIoU (percent) of a metric column (a key of ``METRIC_COLUMNS``), or None.

        Among several stages of the column's kind, the last one on the preferred split wins,
        else the last one of that kind.
        """
        kind, split = METRIC_COLUMNS[column][:2]
        found = [s for s in self.stages if s.kind == kind and 'mIoU' in s.metrics]
        preferred = [s for s in found if s.split == split]
        chosen = (preferred or found)[-1:] if found else []
        return chosen[0].metrics['mIoU'] if chosen else None

    @property
    def params(self) -> Optional[int]:
        """Parameters of the (last) localization-map model, e.g. ESOL's shrinkage stage rather than
        the CAM it starts from (else of the first stage that has any)."""
        for kinds, order in ((('localization',), -1), (WSSS_KINDS, 1), (KINDS, 1)):
            for stage in self.stages[::order]:
                if stage.kind in kinds and stage.params is not None:
                    return stage.params
        return None

    @property
    def train_time_s(self) -> Optional[float]:
        """Training time of the WSSS stages (pretraining and the upper bound excluded).

        A run with no WSSS stage reports the sum over its stages.
        """
        kinds = WSSS_KINDS if any(s.kind in WSSS_KINDS for s in self.stages) else KINDS
        # a stage with several records (e.g. refined maps + pseudo labels) trained once
        times = {
            s.stage: s.train_time_s
            for s in self.stages
            if s.kind in kinds and s.train_time_s is not None
        }
        return float(sum(times.values())) if times else None

    @property
    def model_config(self) -> Optional[str]:
        """The stage config of the method's own model: the last localization stage's (e.g.
        ESOL's shrinkage, not the CAM it starts from; the segmentation stage is the same MMSeg
        config for every method), else the segmentation stage's, else the last stage's that
        names one."""
        for kinds in (('localization',), ('segmentation',), KINDS):
            found = [s.config for s in self.stages if s.kind in kinds and s.config]
            if found:
                return found[-1]
        return None


@dataclass
class Stat:
    """Mean and sample standard deviation of one value over seeds."""

    values: List[float]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if self.n > 1 else 0.0

    @property
    def spread(self) -> float:
        """max - min: how far the seeds disagree."""
        return max(self.values) - min(self.values) if self.values else 0.0


@dataclass
class LeaderboardRow:
    """One method (all seeds of it) on one dataset."""

    method: str
    backbone: Optional[str]
    dataset: Optional[str]
    runs: List[RunResult]
    metrics: Dict[str, Stat] = field(default_factory=dict)
    upper_bound: Optional[Stat] = None
    upper_bound_from_dataset: bool = False
    flagged: Dict[str, bool] = field(default_factory=dict)
    precision: Optional[str] = None
    show_precision: bool = False  # the method has rows at several precisions

    @property
    def seeds(self) -> List[Optional[int]]:
        return [r.seed for r in self.runs]

    @property
    def params(self) -> Optional[int]:
        values = [r.params for r in self.runs if r.params is not None]
        return int(round(statistics.fmean(values))) if values else None

    @property
    def train_time_s(self) -> Optional[float]:
        values = [r.train_time_s for r in self.runs if r.train_time_s is not None]
        return statistics.fmean(values) if values else None

    @property
    def ratio(self) -> Optional[float]:
        """Final WSSS mIoU / supervised upper bound mIoU."""
        final = self.metrics.get('final')
        if final is None or self.upper_bound is None or self.upper_bound.mean <= 0:
            return None
        return final.mean / self.upper_bound.mean

    @property
    def config(self) -> Optional[str]:
        return next((r.config for r in self.runs if r.config), None)

    @property
    def stage_config(self) -> Optional[str]:
        """The runnable stage config of the method's model (see :attr:`RunResult.model_config`),
        or None when the runs did not record stage configs."""
        return next((r.model_config for r in self.runs if r.model_config), None)

    @property
    def name(self) -> str:
        """The model name of the metafile: the pipeline config stem of its runs."""
        names = {r.pipeline for r in self.runs if r.pipeline}
        suffix = f'_{self.precision}' if self.show_precision and self.precision else ''
        if len(names) == 1:
            return names.pop() + suffix
        parts = [self.method] + ([self.backbone] if self.backbone else [])
        return re.sub(r'[^A-Za-z0-9.+-]+', '_', '_'.join(parts)).strip('_').lower() + suffix


# --------------------------------------------------------------------------------------- reading
def find_result_files(dirs: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Every ``pipeline_results.json`` and lone stage ``results.json`` under some folders.

    A ``results.json`` is lone when no folder between it and the searched folder holds a
    ``pipeline_results.json`` (the pipeline file already carries it). A path that is a file is
    taken as is.

    Args:
        dirs (Sequence[str]): Work dirs (searched recursively) or result files.

    Returns:
        tuple[list[str], list[str]]: The files (sorted, no duplicates) and problems (paths that
        do not exist).
    """
    files: List[str] = []
    problems: List[str] = []
    for root in dirs:
        if osp.isfile(root):
            files.append(root)
            continue
        if not osp.isdir(root):
            problems.append(f'{root}: no such file or directory')
            continue
        pipeline_dirs = set()
        stage_files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if PIPELINE_FILE in filenames:
                pipeline_dirs.add(osp.normpath(dirpath))
                files.append(osp.join(dirpath, PIPELINE_FILE))
            if STAGE_FILE in filenames:
                stage_files.append(osp.join(dirpath, STAGE_FILE))
        top = osp.normpath(root)
        for path in stage_files:
            folder = osp.normpath(osp.dirname(path))
            inside_pipeline = False
            while True:
                if folder in pipeline_dirs:
                    inside_pipeline = True
                    break
                if folder == top or osp.dirname(folder) == folder:
                    break
                folder = osp.dirname(folder)
            if not inside_pipeline:
                files.append(path)
    seen, unique = set(), []
    for path in files:
        key = osp.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return sorted(unique), problems


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional(obj: dict, key: str, types: tuple, where: str, path: str) -> Any:
    value = obj.get(key)
    if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
        raise ResultFileError(
            path,
            f'{where}{key} is {value!r}, expected {" or ".join(t.__name__ for t in types)} or null',
        )
    return value


def _parse_stage(obj: Any, where: str, path: str, default_name: str) -> StageResult:
    if not isinstance(obj, dict):
        raise ResultFileError(path, f'{where}is a JSON {type(obj).__name__}, expected an object')
    name = _optional(obj, 'stage', (str,), where, path) or default_name
    where = f'{where}(stage {name!r}) ' if where else where
    kind = obj.get('kind')
    if kind not in KINDS:
        raise ResultFileError(path, f'{where}kind is {kind!r}, expected one of {list(KINDS)}')
    split = _optional(obj, 'split', (str,), where, path)
    metrics = obj.get('metrics')
    if not isinstance(metrics, dict):
        raise ResultFileError(path, f'{where}has no "metrics" object')
    clean = {}
    for key, value in metrics.items():
        if _is_number(value):
            clean[key] = float(value)
        elif key == 'mIoU':
            raise ResultFileError(
                path, f'{where}metrics.mIoU is {value!r}, expected a finite number (percent)'
            )
    if 'mIoU' in clean and not 0.0 <= clean['mIoU'] <= 100.0:
        raise ResultFileError(
            path, f'{where}metrics.mIoU is {clean["mIoU"]}, expected a percentage in [0, 100]'
        )
    params = _optional(obj, 'params', (int,), where, path)
    if params is not None and params < 0:
        raise ResultFileError(path, f'{where}params is {params}, expected >= 0')
    train_time = _optional(obj, 'train_time_s', (int, float), where, path)
    if train_time is not None and not (math.isfinite(train_time) and train_time >= 0):
        raise ResultFileError(
            path, f'{where}train_time_s is {train_time}, expected a non-negative number'
        )
    checkpoint = _optional(obj, 'checkpoint', (str,), where, path)
    config = _optional(obj, 'config', (str,), where, path)
    return StageResult(
        stage=name,
        kind=kind,
        split=split,
        metrics=clean,
        params=params,
        train_time_s=None if train_time is None else float(train_time),
        checkpoint=checkpoint,
        config=config,
    )


def load_result_file(path: str) -> RunResult:
    """Read one ``pipeline_results.json`` or stage ``results.json``.

    Args:
        path (str): The file.

    Returns:
        RunResult: A pipeline run, or a one-stage run for a stage file (its method is the file's
        ``method`` key if any, else the stage name).

    Raises:
        ResultFileError: The file is missing, unreadable, not JSON or does not follow the format;
            the message names the file and the problem.
    """
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        raise ResultFileError(path, f'cannot be read ({e.strerror or e})') from None
    except UnicodeDecodeError:
        raise ResultFileError(path, 'is not UTF-8 text') from None
    if not text.strip():
        raise ResultFileError(path, 'is empty (interrupted run?)')
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultFileError(
            path, f'is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})'
        ) from None
    if not isinstance(obj, dict):
        raise ResultFileError(path, f'holds a JSON {type(obj).__name__}, expected an object')
    version = obj.get('format_version')
    if version is None:
        raise ResultFileError(path, f'has no format_version (expected {FORMAT_VERSION})')
    if version != FORMAT_VERSION:
        raise ResultFileError(
            path, f'format_version {version!r} is not supported (this tool reads {FORMAT_VERSION})'
        )
    is_pipeline = 'stages' in obj or osp.basename(path) == PIPELINE_FILE
    folder = osp.basename(osp.dirname(osp.abspath(path)))
    if is_pipeline:
        stages_obj = obj.get('stages')
        if not isinstance(stages_obj, list):
            raise ResultFileError(path, '"stages" is missing or not a list')
        if not stages_obj:
            raise ResultFileError(path, '"stages" is empty (run not started?)')
        stages = [
            _parse_stage(s, f'stages[{i}] ', path, f'stage{i}') for i, s in enumerate(stages_obj)
        ]
        pipeline = _optional(obj, 'pipeline', (str,), '', path) or folder
    else:
        stages = [_parse_stage(obj, '', path, folder)]
        pipeline = _optional(obj, 'pipeline', (str,), '', path)
    method = _optional(obj, 'method', (str,), '', path) or (
        pipeline if is_pipeline else stages[0].stage
    )
    return RunResult(
        source=path,
        method=method,
        backbone=_optional(obj, 'backbone', (str,), '', path),
        dataset=_optional(obj, 'dataset', (str,), '', path),
        seed=_optional(obj, 'seed', (int,), '', path),
        config=_optional(obj, 'config', (str,), '', path),
        pipeline=pipeline,
        stages=stages,
        is_pipeline=is_pipeline,
        precision=_optional(obj, 'precision', (str,), '', path),
    )


def collect_results(dirs: Sequence[str]) -> Tuple[List[RunResult], List[str]]:
    """Load every result file under some folders, keeping the problems instead of raising.

    Args:
        dirs (Sequence[str]): Work dirs or result files.

    Returns:
        tuple[list[RunResult], list[str]]: The usable runs, and one message per unusable path
        (``'<file>: <problem>'``). A lone stage file identical to a stage of a loaded pipeline
        file is dropped (the pipeline already counts it).
    """
    files, problems = find_result_files(dirs)
    runs = []
    for path in files:
        try:
            runs.append(load_result_file(path))
        except ResultFileError as e:
            problems.append(str(e))
    # a stage file that a pipeline file already carries (stage dirs kept outside the pipeline's
    # work dir) is not a run of its own
    carried = [s for r in runs if r.is_pipeline for s in r.stages]
    runs = [r for r in runs if r.is_pipeline or r.stages[0] not in carried]
    if not files and not problems:
        problems.append(f'no {PIPELINE_FILE} or {STAGE_FILE} under {", ".join(dirs)}')
    return runs, problems


# ------------------------------------------------------------------------------------ aggregation
def aggregate_runs(runs: Iterable[RunResult], sort: str = 'final') -> List[LeaderboardRow]:
    """Group runs by (method, backbone, dataset) and aggregate their seeds.

    A row without its own supervised stage takes the dataset's upper bound: the mean over every
    supervised stage measured on that dataset (``upper_bound_from_dataset`` is then True).

    Args:
        runs (Iterable[RunResult]): The runs.
        sort (str): ``'final'`` (by final mIoU, then pseudo-label, refined and localization mIoU,
            best first; rows without any at the end) or ``'none'`` (first-seen order).

    Returns:
        list[LeaderboardRow]: The rows, with ``flagged`` set by :func:`seed_noise_notes`.
    """
    if sort not in ('final', 'none'):
        raise ValueError(f"sort must be 'final' or 'none', got {sort!r}")
    groups: Dict[tuple, LeaderboardRow] = {}
    for run in runs:
        key = (run.method, run.backbone, run.dataset, run.precision)
        if key not in groups:
            groups[key] = LeaderboardRow(
                run.method, run.backbone, run.dataset, [], precision=run.precision
            )
        groups[key].runs.append(run)
    rows = list(groups.values())
    precisions: Dict[tuple, set] = {}
    for row in rows:
        precisions.setdefault((row.method, row.backbone, row.dataset), set()).add(row.precision)
    for row in rows:
        row.show_precision = len(precisions[(row.method, row.backbone, row.dataset)]) > 1
    supervised_by_dataset: Dict[Optional[str], List[float]] = {}
    for row in rows:
        row.runs.sort(key=lambda r: (r.seed is None, r.seed if r.seed is not None else 0))
        for column in METRIC_COLUMNS:
            values = [v for v in (r.miou(column) for r in row.runs) if v is not None]
            if values:
                row.metrics[column] = Stat(values)
        if 'supervised' in row.metrics:
            row.upper_bound = row.metrics['supervised']
            supervised_by_dataset.setdefault(row.dataset, []).extend(row.upper_bound.values)
    for row in rows:
        if row.upper_bound is None and supervised_by_dataset.get(row.dataset):
            row.upper_bound = Stat(supervised_by_dataset[row.dataset])
            row.upper_bound_from_dataset = True
    if sort == 'final':
        order = ('final', 'pseudo_label', 'refined', 'localization')

        def key(row: LeaderboardRow) -> tuple:
            return tuple(-row.metrics[c].mean if c in row.metrics else math.inf for c in order)

        rows.sort(key=key)  # stable: ties keep their first-seen order
    seed_noise_notes(rows)
    return rows


def _label(row: LeaderboardRow) -> str:
    return _method_cell(row) + (f' ({row.backbone})' if row.backbone else '')


def _method_cell(row: LeaderboardRow) -> str:
    """The method's name, with its numerics when the method has rows at several precisions."""
    if row.show_precision:
        return f'{row.method} [{row.precision or "precision not recorded"}]'
    return row.method


def precision_notes(rows: Sequence[LeaderboardRow]) -> List[str]:
    """Whether a method's rows at two precisions (e.g. bf16 and fp32) differ beyond seed noise.

    For every method with rows at several precisions and every metric column both have, the gap
    between the two means is compared with the larger seed spread (max - min) of the two rows, as
    :func:`seed_noise_notes` does: a gap below the spread is within seed noise.

    Args:
        rows (Sequence[LeaderboardRow]): Aggregated rows.

    Returns:
        list[str]: One note per method and pair of precisions.
    """
    notes = []
    by_method: Dict[tuple, List[LeaderboardRow]] = {}
    for row in rows:
        by_method.setdefault((row.method, row.backbone, row.dataset), []).append(row)
    for (method, backbone, _), group in by_method.items():
        group = sorted(group, key=lambda r: str(r.precision))
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                parts, outside = [], []
                for column, (_, _, header, _) in METRIC_COLUMNS.items():
                    if column not in a.metrics or column not in b.metrics:
                        continue
                    sa, sb = a.metrics[column], b.metrics[column]
                    gap = abs(sa.mean - sb.mean)
                    spread = max(sa.spread, sb.spread)
                    within = gap <= spread
                    parts.append(
                        f'{header} {sa.mean:.2f} vs {sb.mean:.2f} (gap {gap:.2f}, '
                        f'seed spread {spread:.2f})'
                    )
                    if not within:
                        outside.append(header)
                if not parts:
                    continue
                seeds = f'{len(a.runs)} vs {len(b.runs)} seeds'
                verdict = (
                    'within seed noise in every column'
                    if not outside
                    else 'beyond seed noise in ' + ', '.join(outside)
                )
                name = method + (f' ({backbone})' if backbone else '')
                notes.append(
                    f'{name}, {a.precision} vs {b.precision} ({seeds}): {verdict}: '
                    + '; '.join(parts)
                    + '.'
                )
    return notes


def seed_noise_notes(rows: Sequence[LeaderboardRow]) -> List[str]:
    """Where seeds disagree by more than the differences between rows.

    For every metric column and every pair of rows of one dataset, the pair's order is within
    seed noise when the gap between their means is smaller than the larger spread (max - min over
    seeds) of the two. Both cells are then flagged (``row.flagged[column] = True``). Rows with the
    very same values are skipped: they share the stage (e.g. one supervised bound, one stage 1
    with and without refinement), there is no order to doubt. The pairs are told per column and
    per noisier row, so a row whose seeds disagree a lot gets one note, not one per neighbour.

    Args:
        rows (Sequence[LeaderboardRow]): Aggregated rows (changed in place).

    Returns:
        list[str]: One note per column and noisier row.
    """
    notes = []
    for row in rows:
        row.flagged = {}
    for column, (_, _, header, _) in METRIC_COLUMNS.items():
        with_values = [r for r in rows if column in r.metrics]
        # noisier row -> the rows it cannot be ordered against, with the gaps
        doubts: Dict[int, List[Tuple[LeaderboardRow, float]]] = {}
        for i, a in enumerate(with_values):
            for b in with_values[i + 1 :]:
                if a.dataset != b.dataset:
                    continue
                sa, sb = a.metrics[column], b.metrics[column]
                if sorted(sa.values) == sorted(sb.values):
                    continue
                spread = max(sa.spread, sb.spread)
                gap = abs(sa.mean - sb.mean)
                if spread > 0 and gap < spread:
                    a.flagged[column] = b.flagged[column] = True
                    noisy, other = (a, b) if sa.spread >= sb.spread else (b, a)
                    doubts.setdefault(id(noisy), []).append((other, gap))
        for row in with_values:
            if id(row) not in doubts:
                continue
            others = ', '.join(f'{_label(o)} ({gap:.2f})' for o, gap in doubts[id(row)])
            notes.append(
                f'{header}: the seeds of {_label(row)} disagree by '
                f'{row.metrics[column].spread:.2f}, more than its gap to {others}; those orders '
                'are not reliable.'
            )
    return notes


# --------------------------------------------------------------------------------------- markdown
def _fmt_stat(stat: Optional[Stat], flagged: bool = False) -> str:
    if stat is None:
        return '—'
    text = f'{stat.mean:.2f}' if stat.n == 1 else f'{stat.mean:.2f} ± {stat.std:.2f}'
    return text + (' *' if flagged else '')


def _fmt_params(params: Optional[int]) -> str:
    if params is None:
        return '—'
    millions = params / 1e6
    return f'{millions:.2f}' if millions >= 0.1 else f'{millions:.3g}'


def _fmt_time(seconds: Optional[float]) -> str:
    if seconds is None:
        return '—'
    if seconds < 120:
        return f'{seconds:.0f} s'
    if seconds < 7200:
        return f'{seconds / 60:.1f} min'
    return f'{seconds / 3600:.1f} h'


def _cell(text: Optional[str]) -> str:
    return '—' if not text else str(text).replace('|', '\\|').replace('\n', ' ')


def render_markdown(rows: Sequence[LeaderboardRow], notes: Optional[Sequence[str]] = None) -> str:
    """A leaderboard-style markdown table with its legend and notes.

    Columns: method, backbone, seeds, the mIoU of localization maps, refined maps and pseudo
    labels (train) and of the final segmentor (val), the supervised upper bound and the ratio of
    final WSSS mIoU to it (only when some row has one), parameters, training time; a dataset
    column when the rows come from several datasets.

    Args:
        rows (Sequence[LeaderboardRow]): From :func:`aggregate_runs`.
        notes (Sequence[str], optional): From :func:`seed_noise_notes`; recomputed when None.

    Returns:
        str: Markdown, ending with a newline.
    """
    if notes is None:
        notes = seed_noise_notes(rows)
    datasets = []
    for row in rows:
        if row.dataset not in datasets:
            datasets.append(row.dataset)
    with_upper = any(r.upper_bound is not None for r in rows)
    header = ['Method', 'Backbone']
    if len(datasets) > 1:
        header.append('Dataset')
    header.append('Seeds')
    columns = ['localization', 'refined', 'pseudo_label', 'final']
    header += [METRIC_COLUMNS[c][2] for c in columns]
    if with_upper:
        header += [METRIC_COLUMNS['supervised'][2], 'WSSS / supervised']
    header += ['Params (M)', 'Train time']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join([' --- '] * len(header)) + '|']
    for row in rows:
        cells = [_cell(_method_cell(row)), _cell(row.backbone)]
        if len(datasets) > 1:
            cells.append(_cell(row.dataset))
        seeds = [s for s in row.seeds if s is not None]
        cells.append(', '.join(str(s) for s in seeds) if seeds else f'{len(row.runs)} run(s)')
        cells += [_fmt_stat(row.metrics.get(c), row.flagged.get(c, False)) for c in columns]
        if with_upper:
            upper = _fmt_stat(row.upper_bound, row.flagged.get('supervised', False))
            if row.upper_bound_from_dataset:
                upper += ' †'
            ratio = row.ratio
            cells += [upper, '—' if ratio is None else f'{ratio:.3f}']
        cells += [_fmt_params(row.params), _fmt_time(row.train_time_s)]
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    legend = (
        'mIoU in % (MMSeg IoUMetric); "a ± b": mean ± sample standard deviation over the '
        'seeds listed. Params: the localization-map model. Train time: sum over the WSSS '
        'stages (pretraining and the supervised upper bound not counted), mean over seeds.'
    )
    if any(row.upper_bound_from_dataset for row in rows):
        legend += (
            ' †: no supervised stage in these runs; the upper bound is the mean of the '
            "dataset's supervised runs."
        )
    if any(row.flagged for row in rows):
        legend += ' *: within seed noise of another row (see the notes).'
    if any(row.show_precision for row in rows):
        legend += (
            ' [fp32] / [bf16]: the numerics the rows were trained and tested with, shown '
            'where a method was run with both.'
        )
    lines.append(legend)
    numerics = precision_notes(rows)
    if notes or numerics:
        lines.append('')
        lines += [f'- Note: {note}' for note in notes]
        lines += [f'- Numerics: {note}' for note in numerics]
    return '\n'.join(lines) + '\n'


def _stage_value(stage: StageResult, keys: Tuple[str, ...]) -> Optional[float]:
    for key in keys:
        if key in stage.metrics:
            return stage.metrics[key]
    return None


def render_stage_details(rows: Sequence[LeaderboardRow]) -> str:
    """Per method, one line per result record of its pipeline: what every stage measured.

    The leaderboard shows one number per kind of output; a method's claim is often about a stage
    in between (DRS: maps that cover more of the objects; ESOL: an expansion that raises recall,
    a shrinkage that wins back precision). This table shows, for every record of the runs (in
    pipeline order, pretraining and the upper bound left out), the headline mIoU and, where the
    stage measured them, the background threshold of the best sweep point, class-mean recall and
    precision, class-agnostic foreground recall and precision, and the classifier's mAP, over seeds.

    Args:
        rows (Sequence[LeaderboardRow]): From :func:`aggregate_runs`.

    Returns:
        str: Markdown, ending with a newline.
    """
    header = ['Method', 'Stage', 'Output', 'Split', 'Seeds'] + [c[0] for c in STAGE_COLUMNS]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join([' --- '] * len(header)) + '|']
    for row in rows:
        order: List[Tuple[str, str]] = []
        values: Dict[Tuple[str, str], Dict[str, List[float]]] = {}
        seeds: Dict[Tuple[str, str], List[str]] = {}
        splits: Dict[Tuple[str, str], Optional[str]] = {}
        for run in row.runs:
            seen: Dict[Tuple[str, str], int] = {}
            for stage in run.stages:
                if stage.kind in ('pretrain', 'supervised'):
                    continue
                # the n-th record of a (stage, kind) in its run: two records of one name stay apart
                n = seen[(stage.stage, stage.kind)] = seen.get((stage.stage, stage.kind), 0) + 1
                key = (stage.stage if n == 1 else f'{stage.stage} ({n})', stage.kind)
                if key not in values:
                    order.append(key)
                    values[key] = {c[0]: [] for c in STAGE_COLUMNS}
                    seeds[key] = []
                    splits[key] = stage.split
                seeds[key].append('?' if run.seed is None else str(run.seed))
                for column, keys in STAGE_COLUMNS:
                    value = _stage_value(stage, keys)
                    if value is not None:
                        values[key][column].append(value)
        for key in order:
            cells = [
                _cell(_method_cell(row)),
                _cell(key[0]),
                _STAGE_TITLES.get(key[1], key[1]),
                _cell(splits[key]),
                ', '.join(seeds[key]),
            ]
            for column, _ in STAGE_COLUMNS:
                found = values[key][column]
                if not found:
                    cells.append('—')
                elif column == 'Best bg threshold':
                    cells.append(', '.join(f'{v:.2f}' for v in found))
                else:
                    cells.append(_fmt_stat(Stat(found)))
            lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append(
        'In % but the threshold (one per seed). Localization and refined maps: the test '
        "loop's single-scale maps at the best point of the background-threshold sweep, "
        'class means over the object classes (`CAMThresholdSweepMetric`); pseudo labels: '
        'mIoU over the labelled pixels, class means with the background, recall counting '
        'ignored pixels as misses (`PseudoLabelMetric`); "Fg": object vs background, '
        'classes merged; "Part" / "Body" recall: the share of the discriminative-part / '
        "other object pixels given their class (the synthetic benchmark's `PartMask/`), "
        'pooled over the classes.'
    )
    return '\n'.join(lines) + '\n'


# --------------------------------------------------------------------------------------- metafile
def metafile_path(config_dir: str) -> str:
    """``<config_dir>/metafile.yml``, or an existing ``metafile.yaml`` (MMSeg's spelling)."""
    yml = osp.join(config_dir, 'metafile.yml')
    yaml_ = osp.join(config_dir, 'metafile.yaml')
    if not osp.exists(yml) and osp.exists(yaml_):
        return yaml_
    return yml


def _under(path: Optional[str], folder: str) -> bool:
    if not path:
        return False
    rel = osp.relpath(osp.abspath(path), osp.abspath(folder))
    return rel != '.' and not rel.startswith('..')


def default_collection(config_dir: str) -> str:
    """The folder name in upper case (``configs/drs`` -> ``DRS``); for a project's ``configs``
    folder the project's (``projects/esol/configs`` -> ``ESOL``)."""
    folder = osp.normpath(osp.abspath(config_dir))
    if (
        osp.basename(folder) == 'configs'
        and osp.basename(osp.dirname(osp.dirname(folder))) == 'projects'
    ):
        folder = osp.dirname(folder)
    return osp.basename(folder).upper()


def build_metafile(
    rows: Sequence[LeaderboardRow], config_dir: str, collection: Optional[str] = None
) -> dict:
    """The model-index entries of the rows whose config lies in ``config_dir``.

    Args:
        rows (Sequence[LeaderboardRow]): From :func:`aggregate_runs`.
        config_dir (str): The config folder (e.g. ``configs/drs``). Relative config paths of
            the results are taken from the current directory (run from the repository root).
        collection (str, optional): ``In Collection`` name; default
            :func:`default_collection` of the folder.

    Returns:
        dict: ``{'Collections': [...], 'Models': [...]}`` in OpenMMLab's model-index format
        (MMSeg's layout: ``Results`` a mapping with Task, Dataset, Metrics). A model's ``Config``
        is the runnable stage config of the method's model (its last localization stage, see
        :attr:`RunResult.model_config`), with the pipeline config that runs every stage (and
        gives the results) beside it as ``Pipeline Config``; runs that did not record stage
        configs give the pipeline config as ``Config``.
        Metadata values are strings, numbers or lists of strings, as ``mim search`` reads them.
    """
    collection = collection or default_collection(config_dir)
    models, names, datasets = [], set(), []
    for row in rows:
        if not _under(row.config, config_dir):
            continue
        metrics = {
            METRIC_COLUMNS[c][3]: round(row.metrics[c].mean, 2)
            for c in ('final', 'localization', 'refined', 'pseudo_label')
            if c in row.metrics
        }
        if row.upper_bound is not None and not row.upper_bound_from_dataset:
            metrics[METRIC_COLUMNS['supervised'][3]] = round(row.upper_bound.mean, 2)
        if not metrics:
            continue
        name = row.name
        if name in names:
            raise MetafileError(
                f'two rows would both be named {name!r} in the metafile of '
                f'{config_dir}; give their pipelines distinct names'
            )
        names.add(name)
        dataset = row.dataset or 'unknown'
        if dataset not in datasets:
            datasets.append(dataset)
        metadata: Dict[str, Any] = {'Training Data': dataset}
        metadata['Architecture'] = [a for a in (row.backbone, row.method) if a]
        if row.params is not None:
            metadata['Parameters'] = row.params
        if row.train_time_s is not None:
            metadata['Training Time (s)'] = round(row.train_time_s, 1)
        seeds = [str(s) for s in row.seeds if s is not None]  # mim lower()s list items
        if seeds:
            metadata['Seeds'] = seeds
        if row.precision:
            metadata['Precision'] = row.precision
        configs: Dict[str, Any] = {'Config': row.stage_config or row.config}
        if row.stage_config and row.config and row.stage_config != row.config:
            configs['Pipeline Config'] = row.config
        models.append(
            {
                'Name': name,
                'In Collection': collection,
                **configs,
                'Metadata': metadata,
                'Results': {
                    'Task': 'Semantic Segmentation',
                    'Dataset': dataset,
                    'Metrics': metrics,
                },
            }
        )
    collections = []
    if models:
        coll: Dict[str, Any] = {'Name': collection, 'Metadata': {'Training Data': datasets}}
        readme = osp.join(config_dir, 'README.md')
        project_readme = osp.join(osp.dirname(osp.normpath(config_dir)), 'README.md')
        if osp.isfile(readme):
            coll['README'] = readme
        elif osp.basename(osp.normpath(config_dir)) == 'configs' and osp.isfile(project_readme):
            coll['README'] = project_readme  # a project's configs/: its README beside them
        collections.append(coll)
    return {'Collections': collections, 'Models': models}


def _entries(data: dict, key: str, path: str) -> List[dict]:
    entries = data.get(key) or []
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get('Name'), str) for e in entries
    ):
        raise MetafileError(f'{path}: "{key}" must be a list of mappings with a Name')
    return entries


def _merge_results(old: Any, new: dict) -> Any:
    """Replace the old result of the same Task and Dataset, keep the others."""
    old_list = old if isinstance(old, list) else ([old] if isinstance(old, dict) else [])
    merged, replaced = [], False
    for entry in old_list:
        if (
            isinstance(entry, dict)
            and entry.get('Task') == new['Task']
            and entry.get('Dataset') == new['Dataset']
        ):
            metrics = dict(entry.get('Metrics') or {})
            metrics.update(new['Metrics'])
            merged.append({**entry, **new, 'Metrics': metrics})
            replaced = True
        else:
            merged.append(entry)
    if not replaced:
        merged.append(new)
    return merged[0] if len(merged) == 1 else merged


def merge_metafile(existing: Optional[dict], generated: dict, path: str = 'metafile') -> dict:
    """Merge generated entries into an existing metafile without losing unrelated entries.

    Collections and models are matched by ``Name``; generated keys replace old ones, keys only
    the old entry has (Weights, Training log, Paper, ...) are kept, ``Metadata`` is merged key by
    key and ``Results`` of another task or dataset are kept next to the new one. Other top-level
    keys are kept. A generated model without ``Paper``, ``Code`` or ``Framework`` takes its
    collection's (``Paper``, ``Code``, the first of ``Frameworks``), as MMSeg's metafiles repeat
    them per model.

    Args:
        existing (dict, optional): The parsed existing file (None or empty: none).
        generated (dict): From :func:`build_metafile`.
        path (str): The file, for error messages.

    Returns:
        dict: The merged metafile.

    Raises:
        MetafileError: ``existing`` is not a model-index mapping.
    """
    if existing is None:
        existing = {}
    if not isinstance(existing, dict):
        raise MetafileError(
            f'{path}: expected a mapping with Collections/Models, found a {type(existing).__name__}'
        )
    merged = dict(existing)
    for key in ('Collections', 'Models'):
        old = [dict(e) for e in _entries(existing, key, path)]
        index = {e['Name']: i for i, e in enumerate(old)}
        for entry in generated.get(key, []):
            if entry['Name'] not in index:
                index[entry['Name']] = len(old)
                old.append(entry)
                continue
            target = old[index[entry['Name']]]
            for k, v in entry.items():
                if k == 'Metadata' and isinstance(target.get(k), dict):
                    meta = dict(target[k])
                    if key == 'Collections':
                        data = meta.get('Training Data') or []
                        data = data if isinstance(data, list) else [data]
                        meta['Training Data'] = data + [
                            d for d in v.get('Training Data', []) if d not in data
                        ]
                        meta.update({m: x for m, x in v.items() if m != 'Training Data'})
                    else:
                        meta.update(v)
                    target[k] = meta
                elif k == 'Results' and key == 'Models' and k in target:
                    target[k] = _merge_results(target[k], v)
                else:
                    target[k] = v
        if old or key in existing:
            merged[key] = old
    collections = {c['Name']: c for c in merged.get('Collections') or []}
    generated_names = {e['Name'] for e in generated.get('Models', [])}
    for model in merged.get('Models') or []:
        coll = collections.get(model.get('In Collection'))
        if not coll or model['Name'] not in generated_names:
            continue
        for src, dst in (('Paper', 'Paper'), ('Code', 'Code'), ('Frameworks', 'Framework')):
            value = coll.get(src)
            if value and dst not in model:
                value = value[0] if src == 'Frameworks' and isinstance(value, list) else value
                model[dst] = copy.deepcopy(value)  # no YAML anchors between models
    return merged


def _atomic_write(path: str, text: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write_bytes(path, text.encode('utf-8'))


def update_metafile(
    rows: Sequence[LeaderboardRow], config_dir: str, collection: Optional[str] = None
) -> Tuple[str, int]:
    """Write or update ``config_dir``'s metafile from the rows whose config lies there.

    Args:
        rows (Sequence[LeaderboardRow]): From :func:`aggregate_runs`.
        config_dir (str): The config folder.
        collection (str, optional): See :func:`build_metafile`.

    Returns:
        tuple[str, int]: The metafile path and the number of models written (0: the file was not
        touched).

    Raises:
        MetafileError: The folder does not exist, or the existing file is not valid YAML or not a
            model-index mapping.
    """
    if not osp.isdir(config_dir):
        raise MetafileError(f'{config_dir}: no such config folder')
    path = metafile_path(config_dir)
    generated = build_metafile(rows, config_dir, collection)
    if not generated['Models']:
        return path, 0
    existing = None
    if osp.exists(path):
        try:
            with open(path, encoding='utf-8') as f:
                existing = yaml.safe_load(f)
        except (OSError, UnicodeDecodeError) as e:
            raise MetafileError(f'{path}: cannot be read ({e})') from None
        except yaml.YAMLError as e:
            raise MetafileError(f'{path}: not valid YAML ({str(e).splitlines()[0]})') from None
    merged = merge_metafile(existing, generated, path)
    _atomic_write(path, yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=100))
    return path, len(generated['Models'])


# --------------------------------------------------------------------------------------- README
def replace_between_markers(
    text: str, table: str, source: str = 'README', start: str = TABLE_START, end: str = TABLE_END
) -> str:
    """Replace what lies between ``start`` and ``end`` (markers kept).

    Args:
        text (str): The document.
        table (str): The new content.
        source (str): The document's name, for error messages.
        start (str): The opening marker. Defaults to ``TABLE_START``.
        end (str): The closing marker. Defaults to ``TABLE_END``.

    Returns:
        str: The new document.

    Raises:
        ValueError: A marker is missing, repeated or in the wrong order.
    """
    starts, ends = text.count(start), text.count(end)
    if starts != 1 or ends != 1:
        raise ValueError(
            f'{source}: needs exactly one {start} and one {end} line, found {starts} and {ends}'
        )
    head, rest = text.split(start)
    if end not in rest:
        raise ValueError(f'{source}: {end} comes before {start}')
    _, tail = rest.split(end)
    return f'{head}{start}\n{table.strip()}\n{end}{tail}'


def update_readme(path: str, table: str, start: str = TABLE_START, end: str = TABLE_END) -> bool:
    """Replace the table between the markers of a README file.

    Args:
        path (str): The README.
        table (str): The new table (markdown).
        start (str): The opening marker. Defaults to ``TABLE_START``.
        end (str): The closing marker. Defaults to ``TABLE_END``.

    Returns:
        bool: Whether the file changed.

    Raises:
        ValueError: The file cannot be read or lacks the markers (the message names the file).
    """
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f'{path}: cannot be read ({e})') from None
    new = replace_between_markers(text, table, path, start, end)
    if new == text:
        return False
    _atomic_write(path, new)
    return True


# -------------------------------------------------------------------------------------- one run
def _fmt(value: Any, digits: int = 2) -> str:
    return f'{value:.{digits}f}' if isinstance(value, (int, float)) else '-'


def _count(value: Any) -> str:
    return f'{value:,}' if isinstance(value, int) else '-'


def format_stage_table(summary: Dict[str, Any]) -> str:
    """Markdown table of a ``pipeline_results.json`` object.

    Args:
        summary (dict): With ``pipeline``, ``method`` and ``stages`` (result records).

    Returns:
        str: A title line and a markdown table (stage, output, split, mIoU, params, train time).
    """
    lines: List[str] = [
        f'{summary.get("method", "")} ({summary.get("pipeline", "")}, '
        f'{summary.get("dataset", "")}, seed {summary.get("seed")})',
        '',
        '| stage | output | split | mIoU | parameters | training time (s) |',
        '| --- | --- | --- | --- | --- | --- |',
    ]
    for record in summary.get('stages', []):
        metrics = record.get('metrics') or {}
        miou = metrics.get('mIoU')
        if record.get('kind') == 'pretrain':
            miou = None
        lines.append(
            f'| {record.get("stage")} | '
            f'{_RUN_TITLES.get(record.get("kind"), record.get("kind"))} | '
            f'{record.get("split", "-")} | {_fmt(miou)} | {_count(record.get("params"))} | '
            f'{_fmt(record.get("train_time_s"), 0)} |'
        )
    return '\n'.join(lines)


# -------------------------------------------------------------------------------------- the tool
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Leaderboard table and metafile from pipeline_results.json / results.json'
    )
    parser.add_argument(
        'work_dirs', nargs='+', help='work dirs (searched recursively) or result files'
    )
    parser.add_argument(
        '--metafile-dir',
        action='append',
        default=[],
        help='config folder whose metafile.yml gets the rows whose config lies in it (repeatable)',
    )
    parser.add_argument(
        '--collection', help='"In Collection" name (default: the folder name in upper case)'
    )
    parser.add_argument(
        '--update-readme',
        action='append',
        default=[],
        metavar='README',
        help='replace the table between <!-- mmwsss-table:start --> and '
        '<!-- mmwsss-table:end --> in this file (repeatable)',
    )
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument(
        '--sort',
        choices=['final', 'none'],
        default='final',
        help='row order: by final mIoU (default) or as found',
    )
    parser.add_argument(
        '--stages',
        action='store_true',
        help='also the per-stage table (recall, precision, mAP of every stage)',
    )
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
            print(
                f'warning: no result has its config under {config_dir}; {path} not touched',
                file=sys.stderr,
            )
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
