# Copyright (c) mmwsss contributors. All rights reserved.
"""Localization maps and pseudo labels of a dataset, written per image, resumable and sharded over ranks.

The engine behind :class:`mmwsss.engine.hooks.PseudoLabelHook` (after a training stage) and
``tools/gen_pseudo_labels.py`` (on a checkpoint). For every image it runs the model's map API
(``model.localization_maps``, multi-scale, max-fused, at the original image size, masked by the image's
labels), stores the maps (uint8 npz) and the pseudo label (palette PNG) atomically, and finally scores
both against the ground-truth masks where the dataset has them.
"""
import copy
import math
import os
import os.path as osp
import sys
import tempfile
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine import fileio
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.utils import ProgressBar
from mmseg.datasets.transforms import LoadAnnotations
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mmwsss.datasets.transforms import LoadPartMask, LoadSaliencyMap
from mmwsss.evaluation.metrics import CAMThresholdSweepMetric, PseudoLabelMetric
from mmwsss.datasets.stage_files import (atomic_write_json, full_palette, image_id,
                                         is_complete_npz, is_complete_png, load_label_png,
                                         load_maps, maps_to_uint8, remove_tmp_files,
                                         save_label_png, save_maps, uint8_to_maps)
from mmwsss.pseudo_labels import generate_pseudo_label, uses_crf
from mmwsss.registry import DATASETS
from mmwsss.utils.precision import (PRECISIONS, autocast_context, channels_last_model,
                                    describe_precision, precision_name, resolve_channels_last,
                                    resolve_precision)

__all__ = ['PseudoLabelGenerator', 'DEFAULT_GENERATION_PIPELINE']

#: Used when the dataset config has no pipeline: the official recipe's square 320 input.
DEFAULT_GENERATION_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='PackSegInputs'),
]
_MISSING = object()


def _list_collate(batch: list) -> list:
    return batch


def _check_scales(scales: Any, name: str) -> Optional[Tuple[Union[int, float], ...]]:
    if scales is None:
        return None
    if isinstance(scales, (int, float)):
        scales = (scales, )
    scales = tuple(scales)
    if not scales or any(isinstance(s, bool) or not isinstance(s, (int, float)) or s <= 0
                         for s in scales):
        raise ValueError(f'{name}: scales must be positive ints (square sides) or floats (factors '
                         f'of the input size), got {scales!r}.')
    return scales


@contextmanager
def _overridden_test_cfg(model: nn.Module, name: str, **values) -> Iterator[None]:
    """Set ``model.test_cfg`` keys for the duration of the block (None values are left alone)."""
    values = {k: v for k, v in values.items() if v is not None}
    cfg = getattr(model, 'test_cfg', None)
    if values and cfg is None:
        raise AttributeError(f'{name}: {type(model).__name__} has no test_cfg to set '
                             f'{sorted(values)} on.')
    old = {k: (cfg[k] if k in cfg else _MISSING) for k in values}
    for k, v in values.items():
        cfg[k] = v
    try:
        yield
    finally:
        for k, v in old.items():
            if v is _MISSING:
                cfg.pop(k, None)
            else:
                cfg[k] = v


class _GenerationItems(Dataset):
    """Pipeline outputs (and saliency maps) of the images to generate, loaded in workers."""

    def __init__(self, generator: 'PseudoLabelGenerator', indices: Sequence[int],
                 load_saliency: bool, load_image: bool = False) -> None:
        self.generator = generator
        self.indices = list(indices)
        self.load_saliency = load_saliency
        self.load_image = load_image

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        gen = self.generator
        index = self.indices[i]
        dataset = gen.dataset
        packed = (dataset.prepare_data(index)
                  if hasattr(dataset, 'prepare_data') else dataset[index])
        info = gen.infos[index]
        if not isinstance(packed, dict) or 'inputs' not in packed or 'data_samples' not in packed:
            raise ValueError(
                f'{gen.name}: the generation pipeline gave no packed inputs for {info["img_path"]}; '
                'it must end with PackSegInputs (or PackWSSSInputs).')
        saliency = gen.load_saliency(index) if self.load_saliency else None
        image = gen.load_image(index) if self.load_image else None
        return dict(index=index, inputs=packed['inputs'], data_sample=packed['data_samples'],
                    saliency=saliency, image=image)


class _EvaluationItems(Dataset):
    """GT mask, stored maps and stored label of the images to score, loaded in workers."""

    def __init__(self, generator: 'PseudoLabelGenerator', indices: Sequence[int]) -> None:
        self.generator = generator
        self.indices = list(indices)
        self.load_gt = LoadAnnotations()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        gen = self.generator
        index = self.indices[i]
        info = gen.infos[index]
        results = self.load_gt(
            dict(seg_map_path=info['seg_map_path'], reduce_zero_label=info['reduce_zero_label'],
                 label_map=info['label_map'], seg_fields=[]))
        gt = torch.from_numpy(np.ascontiguousarray(results['gt_seg_map']).astype(np.int64))
        item = dict(gt_sem_seg=dict(data=gt[None]))
        if info.get('part_path'):
            part = LoadPartMask().transform(dict(part_path=info['part_path']))['gt_part_seg']
            self._check_size(part.shape, gt, info['part_path'], info)
            item['gt_part_seg'] = dict(data=torch.from_numpy(part.astype(np.int64))[None])
        if gen.save_maps:
            maps, labels = load_maps(gen.map_path(index))
            self._check_size(maps.shape[1:], gt, gen.map_path(index), info)
            dense = torch.zeros((gen.num_classes, ) + tuple(maps.shape[1:]), dtype=torch.float32)
            dense[torch.from_numpy(labels)] = torch.from_numpy(uint8_to_maps(maps))
            item['seg_logits'] = dict(data=dense)
        if gen.save_labels:
            label = load_label_png(gen.label_path(index))
            self._check_size(label.shape, gt, gen.label_path(index), info)
            item['pred_sem_seg'] = dict(data=torch.from_numpy(label.astype(np.int64))[None])
        return item

    @staticmethod
    def _check_size(size: Sequence[int], gt: torch.Tensor, path: str, info: dict) -> None:
        if tuple(size) != tuple(gt.shape):
            raise ValueError(f'{path} is {tuple(size)} (H, W) but the GT mask '
                             f'{info["seg_map_path"]} is {tuple(gt.shape)}; were the files made '
                             'from another dataset?')


class PseudoLabelGenerator:
    """Write localization maps and pseudo labels of a dataset with a trained map model, then score them.

    Per image (``img_id`` = basename of ``img_path`` without suffix):

    - ``<maps_dir>/<img_id>.npz``: ``maps`` uint8 (n, H, W) = round(map x 255) at the original image
      size for the n classes of the image's labels, ``labels`` int64 (n,);
    - ``<labels_dir>/<img_id>.png``: palette PNG, class index per pixel, 0 background, 255 ignore, made
      by :func:`mmwsss.pseudo_labels.generate_pseudo_label` from the uint8 maps (so a label can always
      be remade from the stored maps, bit for bit) and, in 'saliency' mode, the saliency map at the
      original size; with ``pseudo_label_cfg.crf`` also the image file, read afresh each time (so
      a label remade from the stored maps still has the same bytes).

    The maps come from ``model.localization_maps(inputs, out_size=original size, labels=GT image
    labels)`` with ``model.test_cfg.scales`` / ``flip`` temporarily set to ``scales`` / ``flip``.
    The inputs are the outputs of the dataset's pipeline (by default
    :data:`DEFAULT_GENERATION_PIPELINE`: a square 320 resize, as the official recipe), normalised by
    the model's data preprocessor; images of the same input and original size are batched.

    The dataset is cut into chunks of ``batch_size`` consecutive images (one model batch each);
    under DDP rank r of W takes chunks r, r+W, ... (with ``batch_size=1``: images r, r+W, ...), so
    every image is written by exactly one rank, and the bytes do not depend on the number of ranks.
    Each file is written atomically (a temporary file in the same folder, then ``os.replace``);
    images whose files are all present and complete are skipped, so a re-run after a kill finishes
    the work (with the same bytes as an uninterrupted run) and a re-run of a finished job only
    rescores.
    Scoring (from the stored files, ``evaluate=True``) covers the images whose ``seg_map_path``
    exists: ``<map_metric_prefix>/...`` from :class:`CAMThresholdSweepMetric` (``best_mIoU``,
    ``mIoU@t`` ...) plus ``<map_metric_prefix>/mIoU`` at ``map_bg_thr``, and
    ``<label_metric_prefix>/...`` from :class:`PseudoLabelMetric` (``mIoU``, ``mPrecision``,
    ``mRecall``, ...); with part masks (the dataset's ``part_path``) both add part and body
    recall. Rank 0 writes them to ``<out_dir>/metrics.json``.

    Args:
        dataset (dict | Dataset): Dataset config (built in the current default scope; without a
            ``pipeline`` it gets :data:`DEFAULT_GENERATION_PIPELINE`) or a built MMEngine dataset.
            Its data infos need ``img_path`` and ``cls_labels``; ``sal_path`` in 'saliency' mode;
            ``seg_map_path`` for scoring. The pipeline must be deterministic and end with
            ``PackSegInputs``/``PackWSSSInputs`` (``ori_shape`` in the meta).
        out_dir (str): Output folder (made if needed; the hook resolves a relative one against the
            work dir).
        maps_dir (str): Folder of the maps, relative to ``out_dir`` or absolute. Defaults to 'maps'.
        labels_dir (str): Folder of the labels, likewise. Defaults to 'labels'.
        save_maps (bool): Write maps. Defaults to True.
        save_labels (bool): Write pseudo labels. Defaults to True.
        scales (Sequence[int | float], optional): Test scales set on ``model.test_cfg.scales``; an int
            is a square side, a float a factor. None keeps the model's. Defaults to (256, 320, 384).
        flip (bool, optional): Set on ``model.test_cfg.flip``; None keeps the model's.
            Defaults to False.
        pseudo_label_cfg (dict, optional): The label rule, e.g. ``dict(mode='saliency')`` (DRS's
            values) or ``dict(mode='threshold', bg_thr=0.3)``, optionally with a dense CRF on the
            image (``crf=True``: the official DRS settings; needs pydensecrf2); see
            :mod:`mmwsss.pseudo_labels.generate`. Defaults to ``dict(mode='saliency')``.
        batch_size (int): Images per model batch (images of the same input size are batched).
            Defaults to 8.
        num_workers (int): Data-loader workers. Defaults to 0.
        precision (str): 'auto' (bf16 autocast on a CPU with native bf16, fp16 on CUDA, else
            fp32), 'fp32', 'bf16' or 'fp16'; see :mod:`mmwsss.utils.precision`. The maps are
            normalised in fp32 in every case. Defaults to 'auto'.
        channels_last (str | bool): Run the model's weights in channels_last format; 'auto' does
            so for bf16 on the CPU, where it measured faster. Defaults to 'auto'.
        labels_from_raw_maps (bool): Make the labels from the model's float maps as they are
            (refined maps may exceed 1; the official pseudo-label script compares those raw
            scores, so a class above 1 beats a background of 1) instead of from the stored uint8
            maps, which are clipped to [0, 1]. A label is then never remade from stored maps: a
            missing one is rewritten with its model batch. Defaults to False.
        evaluate (bool): Score the outputs where GT masks exist. Defaults to True.
        map_bg_thr (float): Background threshold of the reported ``<map_metric_prefix>/mIoU``.
            Defaults to 0.2.
        sweep_thresholds (Sequence[float], optional): Thresholds of the map sweep; defaults to the
            metric's 0.00..0.95 (``map_bg_thr`` is always added).
        map_metric_prefix (str): Defaults to 'loc_map'.
        label_metric_prefix (str): Defaults to 'pseudo_label'.
        name (str): Name used in messages. Defaults to 'PseudoLabelGenerator'.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 out_dir: str,
                 maps_dir: str = 'maps',
                 labels_dir: str = 'labels',
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
                 name: str = 'PseudoLabelGenerator') -> None:
        self.name = name
        if not (save_maps or save_labels):
            raise ValueError(f'{name}: save_maps and save_labels are both False: nothing to do.')
        if not out_dir:
            raise ValueError(f'{name}: out_dir must be a folder path, got {out_dir!r}.')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'{name}: batch_size must be an int >= 1, got {batch_size!r}.')
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f'{name}: num_workers must be an int >= 0, got {num_workers!r}.')
        if precision not in PRECISIONS:
            raise ValueError(f'{name}: precision must be one of {PRECISIONS}, got {precision!r}.')
        if channels_last not in ('auto', True, False):
            raise ValueError(f"{name}: channels_last must be 'auto', True or False, got "
                             f'{channels_last!r}.')
        if not 0 <= map_bg_thr <= 1:
            raise ValueError(f'{name}: map_bg_thr must be in [0, 1], got {map_bg_thr}.')
        self.dataset_cfg = dataset
        self.out_dir = osp.abspath(out_dir)
        self.maps_dir = osp.join(self.out_dir, maps_dir)  # join keeps an absolute maps_dir
        self.labels_dir = osp.join(self.out_dir, labels_dir)
        self.save_maps = save_maps
        self.save_labels = save_labels
        self.scales = _check_scales(scales, name)
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
        self.palette: list = []
        self._need: Dict[int, Tuple[bool, bool]] = {}
        self._prepared = False

    # ------------------------------------------------------------------ paths
    @property
    def needs_saliency(self) -> bool:
        """Whether labels are made with the saliency rule."""
        return self.save_labels and self.pseudo_label_cfg.get('mode') == 'saliency'

    @property
    def needs_image(self) -> bool:
        """Whether labels are made with a dense CRF, which reads the image."""
        return self.save_labels and uses_crf(self.pseudo_label_cfg)

    @property
    def metrics_path(self) -> str:
        return osp.join(self.out_dir, 'metrics.json')

    def map_path(self, index: int) -> str:
        """Stored-maps file of the ``index``-th image."""
        return osp.join(self.maps_dir, self.infos[index]['img_id'] + '.npz')

    def label_path(self, index: int) -> str:
        """Pseudo-label file of the ``index``-th image."""
        return osp.join(self.labels_dir, self.infos[index]['img_id'] + '.png')

    # ------------------------------------------------------------------ set-up and checks
    def prepare(self) -> None:
        """Build the dataset and check everything the run needs, before any work.

        Checks: the output folders are writable; every image has image-level labels and a unique id;
        the label rule is valid; in 'saliency' mode every image's saliency map exists (the error names
        the first missing one). Idempotent.
        """
        if self._prepared:
            return
        self._check_writable()
        self._build_dataset()
        self._collect_infos()
        self._check_label_rule()
        if self.needs_saliency:
            self._check_saliency_files()
        self._prepared = True

    def _check_writable(self) -> None:
        folders = [self.out_dir]
        folders += [self.maps_dir] if self.save_maps else []
        folders += [self.labels_dir] if self.save_labels else []
        for folder in folders:
            try:
                os.makedirs(folder, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=folder, prefix='.write-test-')
                os.close(fd)
                os.remove(probe)
            except OSError as e:
                raise OSError(f'{self.name}: cannot write to the output folder {folder}: '
                              f'{e.strerror or e}. Choose another out_dir.') from e

    def _build_dataset(self) -> None:
        if not isinstance(self.dataset_cfg, dict):
            self.dataset = self.dataset_cfg
            return
        cfg = copy.deepcopy(self.dataset_cfg)
        if not cfg.get('pipeline'):
            cfg['pipeline'] = copy.deepcopy(DEFAULT_GENERATION_PIPELINE)
        if DefaultScope.get_current_instance() is None:
            init_default_scope('mmseg')
        self.dataset = DATASETS.build(cfg)

    def _collect_infos(self) -> None:
        dataset = self.dataset
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes or len(classes) < 2:
            raise ValueError(f'{self.name}: the dataset {type(dataset).__name__} has no classes in '
                             'its metainfo (background + at least one class needed).')
        self.num_classes = len(classes)
        self.palette = full_palette(dataset.metainfo.get('palette'))
        num_fg = self.num_classes - 1
        infos, seen = [], {}
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            img_path = info.get('img_path')
            if not img_path:
                raise KeyError(f'{self.name}: data info {index} of {type(dataset).__name__} has '
                               'no img_path.')
            img_id = image_id(img_path)
            if img_id in seen:
                raise ValueError(f'{self.name}: images {seen[img_id]} and {img_path} have the same '
                                 f'id {img_id!r}; output files are named by id, so ids must be '
                                 'unique.')
            seen[img_id] = img_path
            labels = info.get('cls_labels')
            if labels is None:
                raise KeyError(f'{self.name}: image {img_path} has no image-level labels '
                               "(cls_labels): set the dataset's cls_label_file; the maps are "
                               'masked by them.')
            labels = sorted({int(c) for c in labels})
            bad = [c for c in labels if not 1 <= c <= num_fg]
            if bad:
                raise ValueError(f'{self.name}: image {img_path} has labels {bad} outside '
                                 f'1..{num_fg}.')
            infos.append(
                dict(img_id=img_id, img_path=img_path, cls_labels=labels,
                     sal_path=info.get('sal_path'), seg_map_path=info.get('seg_map_path'),
                     part_path=info.get('part_path'),
                     label_map=info.get('label_map'),
                     reduce_zero_label=bool(info.get('reduce_zero_label', False))))
        if not infos:
            raise ValueError(f'{self.name}: the dataset is empty.')
        self.infos = infos

    def _check_label_rule(self) -> None:
        if not self.save_labels:
            return
        num_fg = self.num_classes - 1
        probe_sal = np.zeros((2, 2), np.uint8) if self.needs_saliency else None
        probe_img = np.zeros((2, 2, 3), np.uint8) if self.needs_image else None
        try:
            # also fails here, before any work, without the CRF extra (ImportError, not caught)
            generate_pseudo_label(
                np.zeros((num_fg, 2, 2), np.float32), self.pseudo_label_cfg, saliency=probe_sal,
                image=probe_img)
        except (ValueError, TypeError) as e:
            raise ValueError(f'{self.name}: invalid pseudo_label_cfg '
                             f'{self.pseudo_label_cfg!r}: {e}') from e

    def _check_saliency_files(self) -> None:
        missing = []
        for info in self.infos:
            path = info['sal_path']
            if not path:
                raise FileNotFoundError(
                    f"{self.name}: pseudo_label_cfg mode 'saliency' needs a saliency map for every "
                    f"image, but the dataset gives none for {info['img_path']}: set the dataset's "
                    "data_prefix sal_path, or use mode='threshold' with a bg_thr.")
            if not osp.isfile(path):
                missing.append(path)
        if missing:
            folder = osp.dirname(missing[0])
            where = (f'the saliency folder {folder} does not exist' if not osp.isdir(folder) else
                     f'{len(missing)} of {len(self.infos)} saliency maps are missing')
            raise FileNotFoundError(
                f"{self.name}: pseudo_label_cfg mode 'saliency' needs saliency maps, but "
                f'{missing[0]} does not exist ({where}).')

    # ------------------------------------------------------------------ per-image helpers
    def load_saliency(self, index: int) -> np.ndarray:
        """The saliency map (uint8 (H, W), original size) of the ``index``-th image."""
        info = self.infos[index]
        results = LoadSaliencyMap().transform(
            dict(sal_path=info['sal_path'], img_path=info['img_path'], seg_fields=[]))
        return results['gt_saliency']

    def load_image(self, index: int) -> np.ndarray:
        """The image (RGB uint8 (H, W, 3), original size) of the ``index``-th image, as
        ``LoadImageFromFile`` decodes it; what the CRF of the label rule reads."""
        path = self.infos[index]['img_path']
        try:
            image = mmcv.imfrombytes(fileio.get(path), flag='color', backend='cv2')
        except (OSError, ValueError) as e:
            raise OSError(f'{self.name}: cannot read the image {path} for the CRF: {e}') from e
        if image is None:
            raise OSError(f'{self.name}: cannot decode the image {path} for the CRF.')
        return np.ascontiguousarray(mmcv.bgr2rgb(image))

    def _make_label(self, maps: np.ndarray, labels: np.ndarray,
                    saliency: Optional[np.ndarray], index: int,
                    image: Optional[np.ndarray] = None) -> np.ndarray:
        """Pseudo label from stored (uint8 (n, H, W)) or, with ``labels_from_raw_maps``, the
        model's float (n, H, W) maps (and the image, with a CRF)."""
        height, width = maps.shape[1:]
        if saliency is not None and saliency.shape != (height, width):
            raise ValueError(f"{self.name}: saliency map {self.infos[index]['sal_path']} is "
                             f'{saliency.shape} (H, W) but the maps of its image are '
                             f'{(height, width)}.')
        if image is not None and image.shape[:2] != (height, width):
            raise ValueError(f"{self.name}: image {self.infos[index]['img_path']} is "
                             f'{image.shape[:2]} (H, W) but its maps are {(height, width)}.')
        dense = np.zeros((self.num_classes - 1, height, width), np.float32)
        dense[labels - 1] = uint8_to_maps(maps) if maps.dtype == np.uint8 else maps
        return generate_pseudo_label(
            dense, self.pseudo_label_cfg, saliency=saliency, cls_labels=labels.tolist(),
            image=image)

    def _status(self, index: int) -> Tuple[bool, bool]:
        """Whether the map / label of an image still has to be written."""
        need_map = self.save_maps and not is_complete_npz(self.map_path(index))
        need_label = self.save_labels and not is_complete_png(self.label_path(index))
        return need_map, need_label

    # ------------------------------------------------------------------ generation
    def run(self, model: nn.Module, logger: Any = None) -> Dict[str, float]:
        """Generate the missing files of this rank's shard, wait for all ranks, score.

        Args:
            model (nn.Module): The map model (unwrapped, with ``localization_maps`` and
                ``data_preprocessor``).
            logger (MMLogger | str, optional): Where messages go. Defaults to 'current'.

        Returns:
            dict[str, float]: The metrics (empty without GT masks or with ``evaluate=False``).
        """
        self.prepare()
        self.generate(model, logger)
        barrier()
        if get_dist_info()[0] == 0:
            self._remove_stale_tmp_files()
        metrics = self.score(logger) if self.evaluate else {}
        if get_dist_info()[0] == 0:
            self._write_metrics(metrics)
        barrier()
        return metrics

    def _remove_stale_tmp_files(self) -> None:
        """Delete temporary files a killed run left next to finished outputs (all ranks are done)."""
        folders = [self.maps_dir] if self.save_maps else []
        folders += [self.labels_dir] if self.save_labels else []
        for folder in folders:
            remove_tmp_files(folder)

    def generate(self, model: nn.Module, logger: Any = None) -> int:
        """Write the missing maps and labels of this rank's shard.

        The images are cut into fixed chunks of ``batch_size`` consecutive dataset indices, and rank
        r of W takes chunks r, r+W, ...; a chunk is one model batch. Batches are thus the same
        whatever the number of ranks and whatever was already done (a chunk with a missing map is
        run whole, writing only what is missing), so the bytes written never depend on how the work
        was split or resumed (batched convolutions may round differently from single ones).

        Args:
            model (nn.Module): The map model.
            logger (MMLogger | str, optional): Where messages go.

        Returns:
            int: How many images of this rank's shard were (re)written.
        """
        self.prepare()
        if not callable(getattr(model, 'localization_maps', None)):
            raise TypeError(f'{self.name}: {type(model).__name__} has no localization_maps method '
                            '(the map-model API); generation needs a CAMClassifier-like model.')
        model_classes = getattr(model, 'num_classes', None)
        if isinstance(model_classes, int) and model_classes != self.num_classes:
            raise ValueError(f'{self.name}: {type(model).__name__} predicts {model_classes} classes '
                             f'(background included) but the dataset has {self.num_classes} '
                             f'({self.num_classes - 1} foreground classes).')
        logger = logger or 'current'
        self._numerics(model)  # refuses an unsupported precision before any work
        rank, world_size = get_dist_info()
        size = self.batch_size
        chunks = [list(range(start, min(start + size, len(self.infos))))
                  for start in range(0, len(self.infos), size)][rank::world_size]
        self._need = {}
        model_chunks, from_maps = [], []
        for chunk in chunks:
            for index in chunk:
                need_map, need_label = self._status(index)
                if need_map or need_label:
                    self._need[index] = (need_map, need_label)
            pending = [i for i in chunk if i in self._need]
            if not pending:
                continue
            if self.save_maps and not self.labels_from_raw_maps and not any(
                    self._need[i][0] for i in pending):
                from_maps.append(pending)
            else:
                model_chunks.append(chunk)
        num_images = sum(len(chunk) for chunk in chunks)
        todo = len(self._need)
        print_log(
            f'{self.name}: {len(self.infos)} images -> {self.out_dir}; rank {rank}/{world_size}: '
            f'{num_images} images, {num_images - todo} already done, {todo} to write '
            f'({sum(len(p) for p in from_maps)} of them labels from stored maps).',
            logger=logger)
        bar = ProgressBar(todo, file=sys.stdout) if rank == 0 and todo else None

        for pending in from_maps:
            stale = False
            for index in pending:
                maps, labels = load_maps(self.map_path(index))
                if labels.tolist() != self.infos[index]['cls_labels']:
                    # maps of other labels (another dataset version): recompute both files
                    self._need[index] = (True, self.save_labels)
                    stale = True
                    continue
                saliency = self.load_saliency(index) if self.needs_saliency else None
                image = self.load_image(index) if self.needs_image else None
                self._write(index, maps, labels, saliency, image=image)
                self._need.pop(index)
                if bar is not None:
                    bar.update()
            if stale:
                model_chunks.append(list(range(pending[0] - pending[0] % size,
                                               min(pending[0] - pending[0] % size + size,
                                                   len(self.infos)))))
        if model_chunks:
            self._run_model(model, model_chunks, bar)
        if bar is not None:
            sys.stdout.write('\n')
        return todo

    def _numerics(self, model: nn.Module) -> Tuple[Optional[torch.dtype], bool]:
        """The autocast dtype and memory format of this machine for ``model``."""
        device = next(model.parameters()).device
        try:
            dtype = resolve_precision(self.precision, device)
        except ValueError as e:
            raise ValueError(f'{self.name}: {e}') from e
        self.used_precision = precision_name(dtype)
        return dtype, resolve_channels_last(self.channels_last, dtype, device)

    def _run_model(self, model: nn.Module, chunks: List[List[int]],
                   bar: Optional[ProgressBar]) -> None:
        flat = [index for chunk in chunks for index in chunk]
        batches, start = [], 0
        for chunk in chunks:
            batches.append(list(range(start, start + len(chunk))))
            start += len(chunk)
        loader = DataLoader(
            _GenerationItems(self, flat, self.needs_saliency, self.needs_image),
            batch_sampler=batches,
            num_workers=self.num_workers,
            collate_fn=_list_collate)
        device = next(model.parameters()).device
        dtype, channels_last = self._numerics(model)
        print_log(f'{self.name}: maps with {describe_precision(dtype, channels_last, device)}',
                  logger='current')
        was_training = model.training
        model.eval()
        try:
            with _overridden_test_cfg(model, self.name, scales=self.scales, flip=self.flip), \
                    torch.no_grad(), channels_last_model(model, channels_last), \
                    autocast_context(dtype, device):
                for batch in loader:
                    written = sum(1 for item in batch if item['index'] in self._need)
                    self._process_batch(model, batch)
                    if bar is not None:
                        for _ in range(written):
                            bar.update()
        finally:
            model.train(was_training)

    def _process_batch(self, model: nn.Module, batch: List[dict]) -> None:
        groups: 'OrderedDict[tuple, List[dict]]' = OrderedDict()
        for item in batch:
            ori_shape = item['data_sample'].metainfo.get('ori_shape')
            if ori_shape is None:
                raise KeyError(f'{self.name}: the pipeline output of '
                               f"{self.infos[item['index']]['img_path']} has no ori_shape; load "
                               'the image with LoadImageFromFile and pack with PackSegInputs.')
            key = (tuple(item['inputs'].shape), tuple(ori_shape)[:2])
            groups.setdefault(key, []).append(item)
        for (_, out_size), items in groups.items():
            data = model.data_preprocessor(
                dict(inputs=[it['inputs'] for it in items],
                     data_samples=[it['data_sample'] for it in items]), False)
            inputs, samples = data['inputs'], data['data_samples']
            pads = [tuple(s.metainfo.get('padding_size', (0, 0, 0, 0))) for s in samples]
            if len(set(pads)) == 1:
                chunks = [(self._unpad(inputs, pads[0]), items)]
            else:
                chunks = [(self._unpad(inputs[j:j + 1], pad), [it])
                          for j, (pad, it) in enumerate(zip(pads, items))]
            for images, chunk in chunks:
                self._maps_of_chunk(model, images, chunk, out_size)

    @staticmethod
    def _unpad(inputs: torch.Tensor, pad: Sequence[int]) -> torch.Tensor:
        left, right, top, bottom = pad
        height, width = inputs.shape[-2:]
        return inputs[..., top:height - bottom, left:width - right]

    def _maps_of_chunk(self, model: nn.Module, images: torch.Tensor, items: List[dict],
                       out_size: Tuple[int, int]) -> None:
        num_fg = self.num_classes - 1
        labels = torch.zeros((len(items), num_fg), dtype=torch.float32)
        for j, item in enumerate(items):
            labels[j, [c - 1 for c in self.infos[item['index']]['cls_labels']]] = 1
        maps, _ = model.localization_maps(images, out_size=out_size, labels=labels.to(images.device))
        expected = (len(items), num_fg) + tuple(out_size)
        if tuple(maps.shape) != expected:
            raise ValueError(f'{self.name}: {type(model).__name__}.localization_maps gave maps of '
                             f'shape {tuple(maps.shape)}, expected {expected} (the dataset has '
                             f'{num_fg} foreground classes).')
        maps = maps.detach().float().cpu().numpy()
        for j, item in enumerate(items):
            index = item['index']
            cls = np.asarray(self.infos[index]['cls_labels'], dtype=np.int64)
            raw = maps[j][cls - 1] if self.labels_from_raw_maps else None
            self._write(index, maps_to_uint8(maps[j][cls - 1]), cls, item['saliency'], raw,
                        item.get('image'))

    def _write(self, index: int, maps: np.ndarray, labels: np.ndarray,
               saliency: Optional[np.ndarray], raw: Optional[np.ndarray] = None,
               image: Optional[np.ndarray] = None) -> None:
        need_map, need_label = self._need.get(index, (False, False))
        if need_map:
            save_maps(self.map_path(index), maps, labels)
        if need_label:
            label = self._make_label(maps if raw is None else raw, labels, saliency, index, image)
            save_label_png(self.label_path(index), label, self.palette)

    # ------------------------------------------------------------------ scoring
    def score(self, logger: Any = None) -> Dict[str, float]:
        """Score the stored files against the GT masks (all ranks take part; sharded).

        Args:
            logger (MMLogger | str, optional): Where messages go.

        Returns:
            dict[str, float]: The metrics, the same on every rank; empty without GT masks.
        """
        self.prepare()
        logger = logger or 'current'
        scored = [i for i, info in enumerate(self.infos)
                  if info['seg_map_path'] and osp.isfile(info['seg_map_path'])]
        if not scored:
            print_log(f'{self.name}: no GT masks in the dataset, nothing to score.', logger=logger)
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
            metrics.append(CAMThresholdSweepMetric(
                thresholds=thresholds, num_classes=self.num_classes,
                collect_device=collect_device, prefix=self.map_metric_prefix))
        if self.save_labels:
            metrics.append(PseudoLabelMetric(
                num_classes=self.num_classes, collect_device=collect_device,
                prefix=self.label_metric_prefix))
        for metric in metrics:
            metric.dataset_meta = dict(self.dataset.metainfo)

        loader = DataLoader(
            _EvaluationItems(self, mine), batch_size=self.batch_size,
            num_workers=self.num_workers, shuffle=False, collate_fn=_list_collate)
        for batch in loader:
            for metric in metrics:
                metric.process(None, batch)
        results: Dict[str, float] = {}
        for metric in metrics:
            results.update(metric.evaluate(len(scored)))
        results = {k: float(v) for k, v in results.items()}
        if self.save_maps:
            results[f'{self.map_metric_prefix}/mIoU'] = self._map_miou_at_bg_thr(results)
        return results

    def _map_miou_at_bg_thr(self, results: Dict[str, float]) -> float:
        head = f'{self.map_metric_prefix}/mIoU@'
        for key, value in results.items():
            if key.startswith(head) and abs(float(key[len(head):]) - self.map_bg_thr) < 1e-9:
                return value
        raise KeyError(f'{self.name}: no map mIoU at threshold {self.map_bg_thr} in {sorted(results)}')

    def _write_metrics(self, metrics: Dict[str, float]) -> None:
        content = dict(
            format_version=1,
            num_images=len(self.infos),
            num_scored=sum(1 for info in self.infos
                           if info['seg_map_path'] and osp.isfile(info['seg_map_path'])),
            metrics=metrics,
            maps_dir=self.maps_dir if self.save_maps else None,
            labels_dir=self.labels_dir if self.save_labels else None,
            settings=dict(
                scales=list(self.scales) if self.scales is not None else None,
                flip=self.flip,
                precision=self.used_precision,
                labels_from_raw_maps=self.labels_from_raw_maps,
                pseudo_label_cfg=self.pseudo_label_cfg if self.save_labels else None,
                map_bg_thr=self.map_bg_thr))
        atomic_write_json(self.metrics_path, content)
