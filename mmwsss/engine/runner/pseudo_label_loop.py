# Copyright (c) mmwsss contributors. All rights reserved.
"""Localization maps and pseudo labels of a dataset, from the model's predictions, resumable and
sharded over ranks, then scored against the ground truth."""

import copy
import math
import os.path as osp
import sys
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine import fileio
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.runner import BaseLoop
from mmengine.utils import ProgressBar
from mmseg.datasets.transforms import LoadAnnotations
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mmwsss.datasets.stage_files import (
    LABELS_DIR,
    MAPS_DIR,
    OUT_DIR,
    atomic_write_json,
    full_palette,
    image_id,
    label_path,
    load_label_png,
    load_maps,
    map_path,
    stage_outputs,
    uint8_to_maps,
)
from mmwsss.datasets.transforms import LoadPartMask, LoadSaliencyMap
from mmwsss.evaluation.metrics import CAMThresholdSweepMetric, PseudoLabelMetric
from mmwsss.models.segmentors.cam_classifier import check_scales
from mmwsss.registry import DATASETS, LOOPS
from mmwsss.utils.precision import (
    PRECISIONS,
    autocast_context,
    channels_last_model,
    describe_precision,
    precision_name,
    resolve_channels_last,
    resolve_precision,
)
from .pseudo_label_writer import PseudoLabelWriter

__all__ = ['PseudoLabelLoop', 'DEFAULT_GENERATION_PIPELINE']

_NAME = 'PseudoLabelLoop'
#: Used when the dataset config has no pipeline: the official recipe's square 320 input.
DEFAULT_GENERATION_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='PackSegInputs'),
]
_MISSING = object()


def _list_collate(batch: list) -> list:
    return batch


@contextmanager
def _overridden_test_cfg(model: nn.Module, **values) -> Iterator[None]:
    """Set ``model.test_cfg`` keys for the duration of the block (None values are left alone)."""
    values = {k: v for k, v in values.items() if v is not None}
    cfg = model.test_cfg
    old = {k: (cfg[k] if k in cfg else _MISSING) for k in values}
    cfg.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is _MISSING:
                cfg.pop(k, None)
            else:
                cfg[k] = v


class _Items(Dataset):
    """``load(index)`` of the given dataset indices, run in the data-loader workers."""

    def __init__(self, load: Callable[[int], dict], indices: Sequence[int]) -> None:
        self.load = load
        self.indices = list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        return self.load(self.indices[i])


@LOOPS.register_module()
class PseudoLabelLoop(BaseLoop):
    """Write localization maps and pseudo labels of a dataset with ``runner.model``, then score.

    The maps are the model's ``predict`` output (``seg_logits[1:]`` of a map model: multi-scale,
    max-fused, at the original image size, masked by the image's labels), with
    ``model.test_cfg.scales`` / ``flip`` temporarily set to ``scales`` / ``flip`` and the passes of
    the images of a batch that share their geometry run together (``batch_passes``). The inputs
    are the dataset pipeline's outputs (by default :data:`DEFAULT_GENERATION_PIPELINE`: a square
    320 resize, as the official recipe); images of the same input size form one model batch.
    A :class:`PseudoLabelWriter` stores per image (``img_id`` = basename of ``img_path`` without
    suffix) the maps (``<maps_dir>/<img_id>.npz``) and the pseudo label
    (``<labels_dir>/<img_id>.png``), see :mod:`mmwsss.datasets.stage_files`.

    The dataset is cut into chunks of ``batch_size`` consecutive images (one model batch each);
    under DDP rank r of W takes chunks r, r+W, ..., so every image is written by exactly one rank
    and the bytes do not depend on the number of ranks. Images whose files are all present and
    complete are skipped: a re-run after a kill finishes the work with the same bytes as an
    uninterrupted run, and a re-run of a finished job only rescores. A chunk with a missing map is
    run whole (writing only what is missing), so batches never depend on what was done before; a
    missing label whose maps exist is remade from them, unless they are of other classes than the
    image's labels (stale: both are made again) or ``labels_from_raw_maps`` is set.

    Scoring (from the stored files, ``evaluate=True``) covers the images whose ``seg_map_path``
    exists: ``<map_metric_prefix>/...`` from :class:`CAMThresholdSweepMetric` plus
    ``<map_metric_prefix>/mIoU`` at ``map_bg_thr``, and ``<label_metric_prefix>/...`` from
    :class:`PseudoLabelMetric`; with part masks (the dataset's ``part_path``) both add part and
    body recall. Rank 0 writes them with the settings to ``<out_dir>/metrics.json``.

    Built from the settings of a ``PseudoLabelHook`` entry (the hook after training,
    ``tools/gen_pseudo_labels.py`` on a checkpoint)::

        loop = LOOPS.build(
            dict(type='PseudoLabelLoop', **settings), default_args=dict(runner=runner))
        metrics = loop.run()

    Args:
        runner (Runner): Its ``model`` (a map model such as ``CAMClassifier``, possibly wrapped)
            makes the maps; a relative ``out_dir`` lies in its ``work_dir``.
        dataset (dict | Dataset): Dataset config (built in the current default scope; without a
            ``pipeline`` it gets :data:`DEFAULT_GENERATION_PIPELINE`) or a built dataset. Its data
            infos need ``img_path`` and ``cls_labels``; ``sal_path`` in 'saliency' mode;
            ``seg_map_path`` for scoring. The pipeline must be deterministic and end with
            ``PackSegInputs``/``PackWSSSInputs`` (``ori_shape`` in the meta).
        out_dir (str): Output folder. Defaults to 'pseudo_labels'.
        maps_dir (str): Folder of the maps, relative to ``out_dir`` or absolute. Defaults to 'maps'.
        labels_dir (str): Folder of the labels, likewise. Defaults to 'labels'.
        save_maps (bool): Write maps. Defaults to True.
        save_labels (bool): Write pseudo labels. Defaults to True.
        scales (Sequence[int | float], optional): Test scales set on ``model.test_cfg.scales``; an
            int is a square side, a float a factor. None keeps the model's. Defaults to
            (256, 320, 384).
        flip (bool, optional): Set on ``model.test_cfg.flip``; None keeps the model's.
            Defaults to False.
        pseudo_label_cfg (dict, optional): The label rule, e.g. ``dict(mode='saliency')`` (DRS's
            values) or ``dict(mode='threshold', bg_thr=0.3)``, optionally with a dense CRF on the
            image (``crf=True``: the official DRS settings; needs pydensecrf2); see
            :mod:`mmwsss.pseudo_labels.generate`. Defaults to ``dict(mode='saliency')``.
        batch_size (int): Images per model batch. Defaults to 8.
        num_workers (int): Data-loader workers. Defaults to 0.
        precision (str): 'auto' (bf16 autocast on a CPU with native bf16, fp16 on CUDA, else
            fp32), 'fp32', 'bf16' or 'fp16'; see :mod:`mmwsss.utils.precision`. Defaults to 'auto'.
        channels_last (str | bool): Run the model's weights in channels_last format; 'auto' does
            so for bf16 on the CPU, where it measured faster. Defaults to 'auto'.
        labels_from_raw_maps (bool): Make the labels from the model's float maps as they are
            (refined maps may exceed 1) instead of from the stored uint8 maps, clipped to [0, 1];
            see :class:`PseudoLabelWriter`. Defaults to False.
        evaluate (bool): Score the outputs where GT masks exist. Defaults to True.
        map_bg_thr (float): Background threshold of the reported ``<map_metric_prefix>/mIoU``.
            Defaults to 0.2.
        sweep_thresholds (Sequence[float], optional): Thresholds of the map sweep; defaults to the
            metric's 0.00..0.95 (``map_bg_thr`` is always added).
        map_metric_prefix (str): Defaults to 'loc_map'.
        label_metric_prefix (str): Defaults to 'pseudo_label'.
    """

    def __init__(
        self,
        runner,
        dataset: Union[dict, Dataset],
        out_dir: str = OUT_DIR,
        maps_dir: str = MAPS_DIR,
        labels_dir: str = LABELS_DIR,
        save_maps: bool = True,
        save_labels: bool = True,
        scales: Optional[Sequence[Union[int, float]]] = (256, 320, 384),
        flip: Optional[bool] = False,
        pseudo_label_cfg: Optional[dict] = None,
        batch_size: int = 8,
        num_workers: int = 0,
        precision: str = 'auto',
        channels_last: Union[str, bool] = 'auto',
        labels_from_raw_maps: bool = False,
        evaluate: bool = True,
        map_bg_thr: float = 0.2,
        sweep_thresholds: Optional[Sequence[float]] = None,
        map_metric_prefix: str = 'loc_map',
        label_metric_prefix: str = 'pseudo_label',
    ) -> None:
        super().__init__(runner, dataloader=None)
        if not (save_maps or save_labels):
            raise ValueError(f'{_NAME}: save_maps and save_labels are both False: nothing to do.')
        if not out_dir:
            raise ValueError(f'{_NAME}: out_dir must be a folder path, got {out_dir!r}.')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'{_NAME}: batch_size must be an int >= 1, got {batch_size!r}.')
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f'{_NAME}: num_workers must be an int >= 0, got {num_workers!r}.')
        if precision not in PRECISIONS:
            raise ValueError(f'{_NAME}: precision must be one of {PRECISIONS}, got {precision!r}.')
        if channels_last not in ('auto', True, False):
            raise ValueError(
                f"{_NAME}: channels_last must be 'auto', True or False, got {channels_last!r}."
            )
        if not 0 <= map_bg_thr <= 1:
            raise ValueError(f'{_NAME}: map_bg_thr must be in [0, 1], got {map_bg_thr}.')
        self.dataset_cfg = dataset
        work_dir = getattr(runner, 'work_dir', None) or '.'
        outputs = stage_outputs(work_dir, out_dir, maps_dir, labels_dir)
        self.out_dir, self.metrics_path = outputs['out_dir'], outputs['metrics']
        self.maps_dir, self.labels_dir = outputs['maps_dir'], outputs['labels_dir']
        self.save_maps = save_maps
        self.save_labels = save_labels
        self.scales = None if scales is None else check_scales(scales, f'{_NAME}: scales')
        self.flip = flip
        self.pseudo_label_cfg = dict(pseudo_label_cfg or dict(mode='saliency'))
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.precision = precision
        self.channels_last = channels_last
        self.labels_from_raw_maps = bool(labels_from_raw_maps)
        self.used_precision: Optional[str] = None  # what the last run chose ('fp32', 'bf16', ...)
        self.evaluate = evaluate
        self.map_bg_thr = float(map_bg_thr)
        self.sweep_thresholds = sweep_thresholds
        self.map_metric_prefix = map_metric_prefix
        self.label_metric_prefix = label_metric_prefix

        self.dataset: Optional[Dataset] = None
        self.infos: List[dict] = []
        self.num_classes = 0
        self.writer: Optional[PseudoLabelWriter] = None
        self._need: Dict[int, Tuple[bool, bool]] = {}

    @property
    def logger(self) -> Any:
        return getattr(self.runner, 'logger', None) or 'current'

    def map_path(self, index: int) -> str:
        """Stored-maps file of the ``index``-th image."""
        return map_path(self.maps_dir, self.infos[index]['img_id'])

    def label_path(self, index: int) -> str:
        """Pseudo-label file of the ``index``-th image."""
        return label_path(self.labels_dir, self.infos[index]['img_id'])

    # ------------------------------------------------------------------ set-up and checks
    def prepare(self) -> None:
        """Build the dataset and check everything the run needs, before any work.

        Checks: the output folders are writable; every image has image-level labels and a unique
        id; the label rule is valid; in 'saliency' mode every image's saliency map exists (the
        error names the first missing one). Idempotent.
        """
        if self.writer is not None:
            return
        self._build_dataset()
        writer = PseudoLabelWriter(
            self.maps_dir if self.save_maps else None,
            self.labels_dir if self.save_labels else None,
            self.num_classes,
            full_palette(self.dataset.metainfo.get('palette')),
            self.pseudo_label_cfg,
            self.labels_from_raw_maps,
        )
        writer.check()
        if writer.needs_saliency:
            self._check_saliency_files()
        self.writer = writer

    def _build_dataset(self) -> None:
        dataset = self.dataset_cfg
        if isinstance(dataset, dict):
            cfg = copy.deepcopy(dataset)
            if not cfg.get('pipeline'):
                cfg['pipeline'] = copy.deepcopy(DEFAULT_GENERATION_PIPELINE)
            if DefaultScope.get_current_instance() is None:
                init_default_scope('mmseg')
            dataset = DATASETS.build(cfg)
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes or len(classes) < 2:
            raise ValueError(
                f'{_NAME}: the dataset {type(dataset).__name__} has no classes in '
                'its metainfo (background + at least one class needed).'
            )
        num_fg = len(classes) - 1
        infos, seen = [], {}
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            img_path = info.get('img_path')
            if not img_path:
                raise KeyError(
                    f'{_NAME}: data info {index} of {type(dataset).__name__} has no img_path.'
                )
            img_id = image_id(img_path)
            if img_id in seen:
                raise ValueError(
                    f'{_NAME}: images {seen[img_id]} and {img_path} have the same '
                    f'id {img_id!r}; output files are named by id, so ids must be '
                    'unique.'
                )
            seen[img_id] = img_path
            labels = info.get('cls_labels')
            if labels is None:
                raise KeyError(
                    f'{_NAME}: image {img_path} has no image-level labels '
                    "(cls_labels): set the dataset's cls_label_file; the maps are "
                    'masked by them.'
                )
            labels = sorted({int(c) for c in labels})
            bad = [c for c in labels if not 1 <= c <= num_fg]
            if bad:
                raise ValueError(f'{_NAME}: image {img_path} has labels {bad} outside 1..{num_fg}.')
            infos.append(
                dict(
                    img_id=img_id,
                    img_path=img_path,
                    cls_labels=labels,
                    sal_path=info.get('sal_path'),
                    seg_map_path=info.get('seg_map_path'),
                    part_path=info.get('part_path'),
                    label_map=info.get('label_map'),
                    reduce_zero_label=bool(info.get('reduce_zero_label', False)),
                )
            )
        if not infos:
            raise ValueError(f'{_NAME}: the dataset is empty.')
        self.dataset, self.infos, self.num_classes = dataset, infos, len(classes)

    def _check_saliency_files(self) -> None:
        missing = []
        for info in self.infos:
            path = info['sal_path']
            if not path:
                raise FileNotFoundError(
                    f"{_NAME}: pseudo_label_cfg mode 'saliency' needs a saliency map for every "
                    f"image, but the dataset gives none for {info['img_path']}: set the dataset's "
                    "data_prefix sal_path, or use mode='threshold' with a bg_thr."
                )
            if not osp.isfile(path):
                missing.append(path)
        if missing:
            folder = osp.dirname(missing[0])
            where = (
                f'the saliency folder {folder} does not exist'
                if not osp.isdir(folder)
                else f'{len(missing)} of {len(self.infos)} saliency maps are missing'
            )
            raise FileNotFoundError(
                f"{_NAME}: pseudo_label_cfg mode 'saliency' needs saliency maps, but "
                f'{missing[0]} does not exist ({where}).'
            )

    # ------------------------------------------------------------------ per-image inputs
    def label_inputs(self, index: int) -> dict:
        """What the label rule reads besides the maps: ``saliency`` (uint8 (H, W)) in 'saliency'
        mode and ``image`` (RGB uint8 (H, W, 3), as ``LoadImageFromFile`` decodes it, read afresh
        so a label remade from stored maps has the same bytes) with a CRF; None otherwise."""
        info = self.infos[index]
        saliency = image = None
        if self.writer.needs_saliency:
            saliency = LoadSaliencyMap().transform(
                dict(sal_path=info['sal_path'], img_path=info['img_path'], seg_fields=[])
            )['gt_saliency']
        if self.writer.needs_image:
            path = info['img_path']
            try:
                image = mmcv.imfrombytes(fileio.get(path), flag='color', backend='cv2')
            except (OSError, ValueError) as e:
                raise OSError(f'{_NAME}: cannot read the image {path} for the CRF: {e}') from e
            if image is None:
                raise OSError(f'{_NAME}: cannot decode the image {path} for the CRF.')
            image = np.ascontiguousarray(mmcv.bgr2rgb(image))
        return dict(saliency=saliency, image=image)

    def _generation_item(self, index: int) -> dict:
        """The pipeline output of an image and what its label rule reads besides the maps."""
        dataset = self.dataset
        packed = dataset.prepare_data(index) if hasattr(dataset, 'prepare_data') else dataset[index]
        if not isinstance(packed, dict) or 'inputs' not in packed or 'data_samples' not in packed:
            raise ValueError(
                f'{_NAME}: the generation pipeline gave no packed inputs for '
                f'{self.infos[index]["img_path"]}; it must end with PackSegInputs (or '
                'PackWSSSInputs).'
            )
        return dict(
            index=index,
            inputs=packed['inputs'],
            data_sample=packed['data_samples'],
            **self.label_inputs(index),
        )

    def _evaluation_item(self, index: int) -> dict:
        """GT mask, part mask, stored maps and stored label of an image, as metric inputs."""
        info = self.infos[index]
        gt = LoadAnnotations()(
            dict(
                seg_map_path=info['seg_map_path'],
                reduce_zero_label=info['reduce_zero_label'],
                label_map=info['label_map'],
                seg_fields=[],
            )
        )['gt_seg_map']
        item = dict(gt_sem_seg=gt)
        if info.get('part_path'):
            item['gt_part_seg'] = LoadPartMask().transform(dict(part_path=info['part_path']))[
                'gt_part_seg'
            ]
        if self.save_maps:
            maps, labels = load_maps(self.map_path(index))
            dense = np.zeros((self.num_classes,) + maps.shape[1:], np.float32)
            dense[labels] = uint8_to_maps(maps)
            item['seg_logits'] = dense
        if self.save_labels:
            item['pred_sem_seg'] = load_label_png(self.label_path(index))
        for key, array in item.items():
            if array.shape[-2:] != gt.shape:
                raise ValueError(
                    f'{_NAME}: the {key} of {info["img_path"]} is {array.shape[-2:]} '
                    f'(H, W) but its GT mask {info["seg_map_path"]} is {gt.shape}; '
                    'were the files made from another dataset?'
                )
        return {
            key: dict(
                data=torch.from_numpy(np.ascontiguousarray(array)).long()[None]
                if key != 'seg_logits'
                else torch.from_numpy(array)
            )
            for key, array in item.items()
        }

    # ------------------------------------------------------------------ the loop
    def run(self) -> Dict[str, float]:
        """Write the missing files of this rank's shard, wait for all ranks, score.

        Returns:
            dict[str, float]: The metrics (empty without GT masks or with ``evaluate=False``).
        """
        self.prepare()
        model = self.runner.model
        self.generate(model.module if is_model_wrapper(model) else model)
        barrier()
        if get_dist_info()[0] == 0:
            self.writer.remove_tmp_files()
        metrics = self.score() if self.evaluate else {}
        if get_dist_info()[0] == 0:
            self._write_metrics(metrics)
        barrier()
        return metrics

    def generate(self, model: nn.Module) -> int:
        """Write the missing maps and labels of this rank's shard with ``model`` (unwrapped).

        Returns:
            int: How many images of this rank's shard were (re)written.
        """
        self.prepare()
        self._check_model(model)
        dtype, channels_last = self._numerics(model)  # refuses an unsupported precision first
        rank, world_size = get_dist_info()
        size = self.batch_size
        chunks = [
            list(range(start, min(start + size, len(self.infos))))
            for start in range(0, len(self.infos), size)
        ][rank::world_size]
        self._need = {}
        model_chunks, from_maps = [], []
        for chunk in chunks:
            for index in chunk:
                need = self.writer.missing(self.infos[index]['img_id'])
                if any(need):
                    self._need[index] = need
            pending = [i for i in chunk if i in self._need]
            if any(self.writer.needs_model(self._need[i][0]) for i in pending):
                model_chunks.append(chunk)
            elif pending:
                from_maps.append((chunk, pending))
        num_images = sum(len(chunk) for chunk in chunks)
        todo = len(self._need)
        print_log(
            f'{_NAME}: {len(self.infos)} images -> {self.out_dir}; rank {rank}/{world_size}: '
            f'{num_images} images, {num_images - todo} already done, {todo} to write '
            f'({sum(len(p) for _, p in from_maps)} of them labels from stored maps).',
            logger=self.logger,
        )
        bar = ProgressBar(todo, file=sys.stdout) if rank == 0 and todo else None

        for chunk, pending in from_maps:
            for index in pending:
                info = self.infos[index]
                if self.writer.write_from_stored(
                    info['img_id'], info['cls_labels'], **self.label_inputs(index)
                ):
                    self._need.pop(index)
                    if bar is not None:
                        bar.update()
                else:  # maps of other labels (another dataset version): make both again
                    self._need[index] = (True, self.save_labels)
            if any(i in self._need for i in pending):
                model_chunks.append(chunk)
        if model_chunks:
            print_log(
                f'{_NAME}: maps with {describe_precision(dtype, channels_last)}', logger=self.logger
            )
            self._run_model(model, model_chunks, dtype, channels_last, bar)
        if bar is not None:
            sys.stdout.write('\n')
        return todo

    def _check_model(self, model: nn.Module) -> None:
        if not callable(getattr(model, 'localization_maps', None)):
            raise TypeError(
                f'{_NAME}: {type(model).__name__} has no localization_maps method '
                '(the map-model API); generation needs a CAMClassifier-like model.'
            )
        model_classes = getattr(model, 'num_classes', None)
        if isinstance(model_classes, int) and model_classes != self.num_classes:
            raise ValueError(
                f'{_NAME}: {type(model).__name__} predicts {model_classes} classes '
                f'(background included) but the dataset has {self.num_classes} '
                f'({self.num_classes - 1} foreground classes).'
            )

    def _numerics(self, model: nn.Module) -> Tuple[Optional[torch.dtype], bool]:
        """The autocast dtype and memory format of this machine for ``model``."""
        device = next(model.parameters()).device
        try:
            dtype = resolve_precision(self.precision, device)
        except ValueError as e:
            raise ValueError(f'{_NAME}: {e}') from e
        self.used_precision = precision_name(dtype)
        return dtype, resolve_channels_last(self.channels_last, dtype, device)

    def _run_model(
        self,
        model: nn.Module,
        chunks: List[List[int]],
        dtype: Optional[torch.dtype],
        channels_last: bool,
        bar: Optional[ProgressBar],
    ) -> None:
        flat = [index for chunk in chunks for index in chunk]
        batches, start = [], 0
        for chunk in chunks:
            batches.append(list(range(start, start + len(chunk))))
            start += len(chunk)
        loader = DataLoader(
            _Items(self._generation_item, flat),
            batch_sampler=batches,
            num_workers=self.num_workers,
            collate_fn=_list_collate,
        )
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        try:
            with (
                _overridden_test_cfg(
                    model,
                    scales=self.scales,
                    flip=self.flip,
                    batch_passes=True,
                    label_source='gt',
                    use_saliency=False,
                ),
                torch.no_grad(),
                channels_last_model(model, channels_last),
                autocast_context(dtype, device),
            ):
                for batch in loader:
                    written = sum(1 for item in batch if item['index'] in self._need)
                    self._process_batch(model, batch)
                    if bar is not None:
                        for _ in range(written):
                            bar.update()
        finally:
            model.train(was_training)

    def _process_batch(self, model: nn.Module, batch: List[dict]) -> None:
        """Predict the images of a batch, one model batch per input size, and write their files."""
        num_fg = self.num_classes - 1
        groups: 'OrderedDict[tuple, List[dict]]' = OrderedDict()
        for item in batch:
            sample, info = item['data_sample'], self.infos[item['index']]
            if sample.metainfo.get('ori_shape') is None:
                raise KeyError(
                    f'{_NAME}: the pipeline output of {info["img_path"]} has no '
                    'ori_shape; load the image with LoadImageFromFile and pack with '
                    'PackSegInputs.'
                )
            multi_hot = torch.zeros(num_fg)
            multi_hot[[c - 1 for c in info['cls_labels']]] = 1
            sample.gt_cls_label = multi_hot
            groups.setdefault(tuple(item['inputs'].shape), []).append(item)
        for items in groups.values():
            outputs = model.test_step(
                dict(
                    inputs=[it['inputs'] for it in items],
                    data_samples=[it['data_sample'] for it in items],
                )
            )
            for item, output in zip(items, outputs):
                self._write(item, output.seg_logits.data)

    def _write(self, item: dict, seg_logits: torch.Tensor) -> None:
        index = item['index']
        info = self.infos[index]
        expected = (self.num_classes,) + tuple(item['data_sample'].ori_shape)[:2]
        if tuple(seg_logits.shape) != expected:
            raise ValueError(
                f'{_NAME}: the prediction of {info["img_path"]} has seg_logits of '
                f'shape {tuple(seg_logits.shape)}, expected {expected} (background '
                'and the foreground classes at the original size).'
            )
        if index not in self._need:
            return
        cls = np.asarray(info['cls_labels'], dtype=np.int64)
        maps = seg_logits[1:].detach().float().cpu().numpy()[cls - 1]
        self.writer.write(
            info['img_id'], maps, cls, self._need[index], item['saliency'], item['image']
        )

    # ------------------------------------------------------------------ scoring
    def score(self) -> Dict[str, float]:
        """Score the stored files against the GT masks (all ranks take part; sharded).

        Returns:
            dict[str, float]: The metrics, the same on every rank; empty without GT masks.
        """
        self.prepare()
        scored = [
            i
            for i, info in enumerate(self.infos)
            if info['seg_map_path'] and osp.isfile(info['seg_map_path'])
        ]
        if not scored:
            print_log(f'{_NAME}: no GT masks in the dataset, nothing to score.', logger=self.logger)
            return {}
        rank, world_size = get_dist_info()
        # rank r scores r, r+W, ... padded to equal length: the order collect_results restores
        per_rank = math.ceil(len(scored) / world_size)
        mine = scored[rank::world_size]
        mine += [scored[0]] * (per_rank - len(mine))

        collect_device = 'gpu' if (torch.cuda.is_available() and world_size > 1) else 'cpu'
        metrics: List[Any] = []
        if self.save_maps:
            thresholds = list(self.sweep_thresholds or [round(0.05 * s, 2) for s in range(20)])
            if not any(abs(t - self.map_bg_thr) < 1e-9 for t in thresholds):
                thresholds.append(self.map_bg_thr)
            metrics.append(
                CAMThresholdSweepMetric(
                    thresholds=thresholds,
                    num_classes=self.num_classes,
                    collect_device=collect_device,
                    prefix=self.map_metric_prefix,
                )
            )
        if self.save_labels:
            metrics.append(
                PseudoLabelMetric(
                    num_classes=self.num_classes,
                    collect_device=collect_device,
                    prefix=self.label_metric_prefix,
                )
            )
        for metric in metrics:
            metric.dataset_meta = dict(self.dataset.metainfo)

        loader = DataLoader(
            _Items(self._evaluation_item, mine),
            batch_size=self.batch_size,
            num_workers=self.num_workers,
            shuffle=False,
            collate_fn=_list_collate,
        )
        for batch in loader:
            for metric in metrics:
                metric.process(None, batch)
        results: Dict[str, float] = {}
        for metric in metrics:
            results.update(metric.evaluate(len(scored)))
        results = {k: float(v) for k, v in results.items()}
        if self.save_maps:
            head = f'{self.map_metric_prefix}/mIoU@'
            at_thr = [
                v
                for k, v in results.items()
                if k.startswith(head) and abs(float(k[len(head) :]) - self.map_bg_thr) < 1e-9
            ]
            results[f'{self.map_metric_prefix}/mIoU'] = at_thr[0]
        return results

    def _write_metrics(self, metrics: Dict[str, float]) -> None:
        atomic_write_json(
            self.metrics_path,
            dict(
                format_version=1,
                num_images=len(self.infos),
                num_scored=sum(
                    1
                    for info in self.infos
                    if info['seg_map_path'] and osp.isfile(info['seg_map_path'])
                ),
                metrics=metrics,
                maps_dir=self.maps_dir if self.save_maps else None,
                labels_dir=self.labels_dir if self.save_labels else None,
                settings=dict(
                    scales=list(self.scales) if self.scales is not None else None,
                    flip=self.flip,
                    precision=self.used_precision,
                    labels_from_raw_maps=self.labels_from_raw_maps,
                    pseudo_label_cfg=self.pseudo_label_cfg if self.save_labels else None,
                    map_bg_thr=self.map_bg_thr,
                ),
            ),
        )
