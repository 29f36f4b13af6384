# Copyright (c) mmwsss contributors. All rights reserved.
"""Run the stages of a WSSS pipeline in order, each an MMEngine Runner, resumably.

A pipeline config names its stages; each stage is an ordinary stage config (train + test) with
overrides that may name earlier stages' outputs::

    pipeline = dict(
        method='DRS (learnable)', backbone='DRS-VGG16 x0.25', dataset='synthetic', seed=0,
        stages=[
            dict(name='pretrain', kind='pretrain', config='configs/drs/pretrain_....py',
                 test=False),
            dict(name='stage1', kind='localization', config='configs/drs/drs-learnable_....py',
                 cfg_options={'model.backbone.init_cfg.checkpoint': '{pretrain.checkpoint}'},
                 extra_results=[dict(kind='pseudo_label', key='pseudo_label/mIoU')]),
            dict(name='refine', kind='refined', config='configs/drs/drs-refine_....py',
                 cfg_options={'train_dataloader.dataset.data_prefix.loc_map_path':
                              '{stage1.maps_dir}'}),
            ...])

Placeholders in ``cfg_options`` values: ``{work_dir}`` (the pipeline's) and the named outputs of an
earlier stage: ``{<stage>.work_dir}``, ``{<stage>.checkpoint}`` (its last checkpoint),
``{<stage>.maps_dir}`` and ``{<stage>.labels_dir}`` (where its ``PseudoLabelHook`` writes the maps
and the pseudo labels, see :func:`mmwsss.datasets.stage_files.stage_outputs`). An ``extra_results``
entry reads ``file`` (relative to the stage's work dir), by default the scores file of the stage's
``PseudoLabelHook``. Stage ``<name>`` works in ``<work_dir>/<name>`` unless it names its own
``work_dir`` (then pipelines share it: a stage finished by one is skipped by all).

Variants: ``stage_overrides=dict(<stage>=dict(config=...))`` replaces keys of a stage,
``skip_stages`` drops stages; a child config inherits the full pipeline with ``_base_`` and sets
only those.

Resuming: a finished stage has ``results.json`` and ``DONE`` in its work dir and is skipped; an
unfinished one is started with ``resume=True``, so MMEngine continues from its last checkpoint (a
stage killed after training re-runs only its hooks, which skip finished files, and its test). Only
rank 0 writes; every file is written atomically.
"""

import gc
import json
import math
import os
import os.path as osp
import re
import time
from typing import Any, Dict, List, Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dist import barrier, get_rank, is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmwsss.datasets.stage_files import atomic_write_json, stage_outputs
from mmwsss.utils import adapt_cfg_to_machine, init_process_group_if_needed
from mmwsss.utils.precision import (
    describe_precision,
    precision_name,
    resolve_precision,
    set_amp_optim_wrapper,
    set_eval_precision,
)

__all__ = ['PipelineRunner', 'RESULT_KINDS', 'STAGE_OUTPUTS', 'shutdown_dataloader_workers']

#: What a stage's results are: the tables of tools/make_benchmark_table.py are made of these.
RESULT_KINDS = ('pretrain', 'localization', 'refined', 'pseudo_label', 'segmentation', 'supervised')
#: The named outputs of a stage that later stages' ``cfg_options`` can use as ``{<stage>.<name>}``.
STAGE_OUTPUTS = ('work_dir', 'checkpoint', 'maps_dir', 'labels_dir')
FORMAT_VERSION = 1
_PLACEHOLDER = re.compile(r'\{([A-Za-z0-9_\-]+)\.(' + '|'.join(STAGE_OUTPUTS) + r')\}')
_HOOK = 'PseudoLabelHook'
_STAGE_KEYS = {
    'name',
    'kind',
    'config',
    'cfg_options',
    'test',
    'split',
    'metric',
    'extra_results',
    'work_dir',
}


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise RuntimeError(
            f'{path}: cannot be read as JSON ({e}); delete it to redo that step'
        ) from e


def _to_float(value: Any) -> Any:
    """A JSON-safe number: tensors and numpy scalars to float, NaN (undefined) to None."""
    if isinstance(value, torch.Tensor):
        value = value.item()
    if hasattr(value, 'item') and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, (int, float)):
        value = float(value)
        return None if math.isnan(value) else value
    return value


def shutdown_dataloader_workers(runner: Runner) -> None:
    """Stop the worker processes of a Runner's built loops' data loaders now.

    Left to the garbage collector, the persistent workers of the synthetic configs took about 30 s
    per stage to go (measured: ``gc.collect()`` after a stage 30.7 s, after this 0.3 s; stopping
    them here takes 0.04 s a loader). Loops not built yet are left alone.
    """
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, name, None)
        loader = getattr(loop, 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if iterator is not None and hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()
            loader._iterator = None


def _headline(metrics: Dict[str, Any], key: str, where: str) -> Dict[str, Any]:
    """Set ``metrics['mIoU']`` to ``metrics[key]`` (the stage's headline; the table reads ``mIoU``).

    A replaced MMSeg ``mIoU`` (e.g. maps at a fixed background threshold) is kept as
    ``IoUMetric/mIoU``.
    """
    if key not in metrics:
        raise KeyError(f'{where}: no metric {key!r}; it has {sorted(metrics)}')
    if key != 'mIoU' and 'mIoU' in metrics:
        metrics['IoUMetric/mIoU'] = metrics['mIoU']
    metrics['mIoU'] = metrics[key]
    metrics['headline'] = key
    return metrics


class PipelineRunner:
    """Runs the stages of a pipeline config one after the other.

    Args:
        cfg (Config): The pipeline config (with a ``pipeline`` dict, see the module docstring).
        config_path (str): Its file path (recorded in the results).
        work_dir (str, optional): Where stage work dirs go. Defaults to ``cfg.work_dir`` or
            ``work_dirs/<config stem>``.
        launcher (str): ``none``, ``pytorch`` (torchrun) or ``slurm`` (srun; ranks from the
            ``SLURM_*`` variables); one process group for all stages.
        stage_cfg_options (dict, optional): Overrides applied to every stage config (after the
            stage's own), e.g. ``{'train_dataloader.num_workers': 0}``.
        only (list[str], optional): Run only these stages (the earlier ones must be finished).
        shared_root (str, optional): Moves stages with their own ``work_dir`` under ``work_dirs/``
            to this folder instead (e.g. one set of shared stages per seed). Defaults to None.
        precision (str): Numerics of every stage (training, validation, test and the
            ``PseudoLabelHook`` maps): 'auto' (bf16 autocast on a CPU with native bf16, fp16 AMP on
            CUDA, else fp32), 'fp32', 'bf16' or 'fp16' (see :mod:`mmwsss.utils.precision`);
            recorded in every stage's results. A stage config that already trains with an AMP
            wrapper keeps it. Defaults to 'fp32'.
    """

    def __init__(
        self,
        cfg: Config,
        config_path: str,
        work_dir: Optional[str] = None,
        launcher: str = 'none',
        stage_cfg_options: Optional[dict] = None,
        only: Optional[List[str]] = None,
        shared_root: Optional[str] = None,
        precision: str = 'fp32',
    ) -> None:
        self.config_path = config_path
        try:
            self.dtype = resolve_precision(precision)
        except ValueError as e:
            raise ValueError(f'{config_path}: {e}') from e
        self.precision = precision_name(self.dtype)
        self.shared_root = shared_root
        self.stem = osp.splitext(osp.basename(config_path))[0]
        if 'pipeline' not in cfg or not isinstance(cfg.pipeline, dict):
            raise KeyError(
                f'{config_path}: a pipeline config needs a `pipeline = dict(stages=[...])`'
            )
        self.spec = cfg.pipeline
        self.work_dir = work_dir or cfg.get('work_dir') or osp.join('work_dirs', self.stem)
        self.launcher = launcher
        self.stage_cfg_options = dict(stage_cfg_options or {})
        self.stages = self._check_stages(self._variant(self.spec))
        names = [s['name'] for s in self.stages]
        unknown = sorted(set(only or []) - set(names))
        if unknown:
            raise KeyError(f'{config_path}: --only names unknown stages {unknown}; stages: {names}')
        self.only = set(only) if only else None

    # ------------------------------------------------------------------ config checks
    def _variant(self, spec: dict) -> List[dict]:
        """The stages after ``stage_overrides`` (per name, keys replaced) and ``skip_stages``.

        A pipeline variant then stays a few lines: ``_base_`` the full pipeline, swap a stage's
        config (e.g. plain CAM for DRS) or drop one (e.g. the refinement).
        """
        stages = [dict(s) for s in spec.get('stages') or []]
        names = [s.get('name') for s in stages]
        overrides = dict(spec.get('stage_overrides') or {})
        skipped = list(spec.get('skip_stages') or [])
        unknown = sorted((set(overrides) | set(skipped)) - set(names))
        if unknown:
            raise KeyError(
                f'{self.config_path}: stage_overrides/skip_stages name unknown stages {unknown}; '
                f'stages: {names}'
            )
        for stage in stages:
            stage.update(overrides.get(stage['name'], {}))
        return [s for s in stages if s['name'] not in skipped]

    def _check_stages(self, stages: Any) -> List[dict]:
        where = self.config_path
        if not stages or not isinstance(stages, (list, tuple)):
            raise ValueError(f'{where}: pipeline.stages must be a non-empty list of stage dicts')
        seen: List[str] = []
        checked = []
        for i, stage in enumerate(stages):
            stage = dict(stage)
            unknown = sorted(set(stage) - _STAGE_KEYS)
            if unknown:
                raise KeyError(
                    f'{where}: stage {i} has unknown keys {unknown}; known: {sorted(_STAGE_KEYS)}'
                )
            for key in ('name', 'kind', 'config'):
                if not stage.get(key):
                    raise KeyError(f'{where}: stage {i} needs `{key}`')
            name = stage['name']
            if name in seen:
                raise ValueError(f'{where}: stage name {name!r} is used twice')
            if not re.fullmatch(r'[A-Za-z0-9_\-]+', name):
                raise ValueError(
                    f'{where}: stage name {name!r} may only hold letters, digits, _ and -'
                )
            kinds = [stage['kind']] + [r.get('kind') for r in stage.get('extra_results', [])]
            for kind in kinds:
                if kind not in RESULT_KINDS:
                    raise ValueError(
                        f'{where}: stage {name!r} has kind {kind!r}; known: {RESULT_KINDS}'
                    )
            if not osp.isfile(stage['config']):
                raise FileNotFoundError(
                    f'{where}: stage {name!r} config {stage["config"]} does not exist'
                )
            for value in (stage.get('cfg_options') or {}).values():
                for ref, _ in _PLACEHOLDER.findall(str(value)):
                    if ref not in seen:
                        raise ValueError(
                            f'{where}: stage {name!r} refers to {{{ref}...}}, which is not an '
                            f'earlier stage (earlier: {seen})'
                        )
            stage.setdefault('cfg_options', {})
            stage.setdefault('test', True)
            stage.setdefault(
                'split', 'val' if stage['kind'] in ('segmentation', 'supervised') else 'train'
            )
            stage.setdefault('metric', 'mIoU')
            stage.setdefault('extra_results', [])
            seen.append(name)
            checked.append(stage)
        return checked

    # ------------------------------------------------------------------ paths
    def stage_dir(self, name: str) -> str:
        """``<work_dir>/<name>``, or the stage's own ``work_dir`` (shared by pipelines, e.g.
        pretraining)."""
        for stage in self.stages:
            if stage['name'] == name and stage.get('work_dir'):
                own = stage['work_dir']
                if self.shared_root and own.startswith('work_dirs/'):
                    own = osp.join(self.shared_root, own[len('work_dirs/') :])
                return own
        return osp.join(self.work_dir, name)

    def _done_path(self, name: str) -> str:
        return osp.join(self.stage_dir(name), 'DONE')

    def _results_path(self, name: str) -> str:
        return osp.join(self.stage_dir(name), 'results.json')

    def is_done(self, name: str) -> bool:
        return osp.isfile(self._done_path(name)) and osp.isfile(self._results_path(name))

    @staticmethod
    def last_checkpoint(work_dir: str) -> Optional[str]:
        """The checkpoint MMEngine recorded last in ``work_dir`` (None if there is none)."""
        marker = osp.join(work_dir, 'last_checkpoint')
        if not osp.isfile(marker):
            return None
        with open(marker, encoding='utf-8') as f:
            path = f.read().strip()
        return path if osp.isfile(path) else None

    def _substitute(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return type(value)(self._substitute(v) for v in value)
        if isinstance(value, dict):
            return {k: self._substitute(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value

        def repl(match: 're.Match') -> str:
            ref, what = match.groups()
            if what == 'work_dir':  # absolute: datasets join relative paths to their data_root
                return osp.abspath(self.stage_dir(ref))
            if what in ('maps_dir', 'labels_dir'):
                return self.stage_outputs(ref)[what]
            ckpt = self.last_checkpoint(self.stage_dir(ref))
            if ckpt is None:
                raise FileNotFoundError(
                    f'{self.config_path}: stage {ref!r} has no checkpoint in '
                    f'{self.stage_dir(ref)}; run that stage first'
                )
            return osp.abspath(ckpt)

        return _PLACEHOLDER.sub(repl, value).replace('{work_dir}', osp.abspath(self.work_dir))

    def stage_outputs(self, name: str) -> Dict[str, str]:
        """Where stage ``name``'s ``PseudoLabelHook`` writes: absolute ``out_dir``, ``maps_dir``,
        ``labels_dir`` and ``metrics`` (its scores), from the stage's config as the pipeline
        builds it."""
        stage = next(s for s in self.stages if s['name'] == name)
        hooks = [
            h
            for h in self._load_stage_cfg(stage).get('custom_hooks', None) or []
            if isinstance(h, dict) and str(h.get('type', '')).split('.')[-1] == _HOOK
        ]
        if len(hooks) != 1:
            raise KeyError(
                f'{self.config_path}: stage {name!r} has {len(hooks)} {_HOOK} entries; '
                'its maps and labels are those of exactly one'
            )
        names = ('out_dir', 'maps_dir', 'labels_dir')
        return stage_outputs(
            self.stage_dir(name), **{k: hooks[0][k] for k in names if k in hooks[0]}
        )

    # ------------------------------------------------------------------ running
    def _load_stage_cfg(self, stage: dict) -> Config:
        """The stage's Config with the stage's and the pipeline's overrides."""
        cfg = Config.fromfile(stage['config'])
        options = {k: self._substitute(v) for k, v in stage['cfg_options'].items()}
        options.update(self.stage_cfg_options)
        if options:
            cfg.merge_from_dict(options)
        return cfg

    def build_stage_cfg(self, stage: dict) -> Config:
        """The stage's Config with the pipeline's overrides, work dir, seed and resume set."""
        cfg = adapt_cfg_to_machine(self._load_stage_cfg(stage), self.launcher)
        self._set_precision(cfg)
        cfg.work_dir = self.stage_dir(stage['name'])
        cfg.resume = True  # MMEngine starts afresh when the work dir holds no checkpoint
        cfg.load_from = None
        if 'seed' in self.spec:
            cfg.randomness = dict(cfg.get('randomness', {}), seed=self.spec['seed'])
        if cfg.get('visualizer') is not None:
            # MMEngine keeps visualizers by name for the whole process: one per stage.
            cfg.visualizer = ConfigDict(cfg.visualizer, name=f'{self.stem}-{stage["name"]}')
        return cfg

    def _set_precision(self, cfg: Config) -> None:
        """Training, evaluation and map generation of a stage config at the pipeline's precision."""
        if cfg.get('optim_wrapper') is not None and cfg.get('train_cfg') is not None:
            set_amp_optim_wrapper(cfg, self.dtype)
        set_eval_precision(cfg, self.dtype)
        for hook in cfg.get('custom_hooks', None) or []:
            if isinstance(hook, dict) and str(hook.get('type', '')).endswith('PseudoLabelHook'):
                hook['precision'] = self.precision

    def _collect(
        self,
        stage: dict,
        metrics: Dict[str, Any],
        params: int,
        train_time: float,
        checkpoint: Optional[str],
    ) -> dict:
        """The stage's own result record (its test metrics)."""
        main = dict(
            format_version=FORMAT_VERSION,
            stage=stage['name'],
            kind=stage['kind'],
            split=stage['split'],
            metrics={k: _to_float(v) for k, v in metrics.items()},
            params=params,
            train_time_s=round(train_time, 1),
            checkpoint=checkpoint,
            config=stage['config'],
            precision=self.precision,
        )
        if stage['test']:
            _headline(main['metrics'], stage['metric'], f'stage {stage["name"]!r} test metrics')
        return main

    def _extras(self, stage: dict, main: dict) -> List[dict]:
        """Records of the files the stage's hooks wrote (``extra_results``), read afresh each run.

        Read afresh so a pipeline variant that reuses a finished stage (shared ``work_dir``) can ask
        for results the first pipeline did not record.
        """
        results = []
        for extra in stage['extra_results']:
            file = extra.get('file') or osp.relpath(
                self.stage_outputs(stage['name'])['metrics'],
                osp.abspath(self.stage_dir(stage['name'])),
            )
            path = osp.join(self.stage_dir(stage['name']), file)
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'stage {stage["name"]!r}: expected {path} (written by its hooks)'
                )
            found = _read_json(path)
            found = found.get('metrics', found)
            extra_metrics = _headline(
                {k: _to_float(v) for k, v in found.items()}, extra.get('key', 'mIoU'), path
            )
            results.append(
                dict(
                    main,
                    kind=extra['kind'],
                    split=extra.get('split', stage['split']),
                    metrics=extra_metrics,
                    source=file,
                )
            )
        return results

    def run_stage(self, stage: dict) -> List[dict]:
        """Train (resuming) and test one stage; returns its result records (own + extras)."""
        name = stage['name']
        cfg = self.build_stage_cfg(stage)
        os.makedirs(cfg.work_dir, exist_ok=True)
        progress_path = osp.join(cfg.work_dir, 'train_time.json')
        spent = (
            _read_json(progress_path).get('train_time_s', 0.0) if osp.isfile(progress_path) else 0.0
        )
        print_log(f'[pipeline] stage {name}: {stage["config"]} -> {cfg.work_dir}', logger='current')
        runner = Runner.from_cfg(cfg)
        params = sum(p.numel() for p in runner.model.parameters())
        start = time.time()
        runner.train()
        spent += time.time() - start
        if is_main_process():
            atomic_write_json(progress_path, dict(train_time_s=spent))
        metrics = runner.test() if stage['test'] else {}
        checkpoint = self.last_checkpoint(cfg.work_dir)
        main = self._collect(stage, metrics or {}, params, spent, checkpoint)
        if is_main_process():
            atomic_write_json(self._results_path(name), main)
            with open(self._done_path(name) + '.tmp', 'w', encoding='utf-8') as f:
                f.write(time.strftime('%Y-%m-%d %H:%M:%S\n'))
            os.replace(self._done_path(name) + '.tmp', self._done_path(name))
        barrier()
        shutdown_dataloader_workers(runner)
        del runner
        gc.collect()
        return [main] + self._extras(stage, main)

    def run(self) -> dict:
        """Run every unfinished stage in order and write ``pipeline_results.json``."""
        init_process_group_if_needed(self.launcher)
        print_log(
            f'[pipeline] {self.stem}: {describe_precision(self.dtype, False)}', logger='current'
        )
        records: List[dict] = []
        for stage in self.stages:
            name = stage['name']
            wanted = self.only is None or name in self.only
            if self.is_done(name):
                print_log(f'[pipeline] stage {name}: finished before, skipped', logger='current')
                main = _read_json(self._results_path(name))
                if not isinstance(main, dict) or main.get('kind') != stage['kind']:
                    raise RuntimeError(
                        f'{self._results_path(name)}: not a {stage["kind"]!r} result of '
                        'this stage; delete the stage folder to redo it'
                    )
                # a stage dir shared with another pipeline holds that pipeline's stage name
                main = dict(main, stage=name)
                records += [main] + self._extras(stage, main)
                continue
            if not wanted:
                later = [
                    s['name']
                    for s in self.stages[self.stages.index(stage) + 1 :]
                    if s['name'] in self.only
                ]
                if later:
                    raise RuntimeError(
                        f'{self.config_path}: stage {name!r} is not finished; run it '
                        f'before {later} (drop --only or add it)'
                    )
                break  # --only: the stages asked for are done; the summary holds what exists
            records += self.run_stage(stage)
        summary = dict(
            format_version=FORMAT_VERSION,
            pipeline=self.stem,
            config=self.config_path,
            method=self.spec.get('method', self.stem),
            backbone=self.spec.get('backbone', ''),
            dataset=self.spec.get('dataset', ''),
            seed=self.spec.get('seed'),
            precision=self.precision,
            stages=records,
        )
        if get_rank() == 0:
            atomic_write_json(osp.join(self.work_dir, 'pipeline_results.json'), summary)
        return summary
