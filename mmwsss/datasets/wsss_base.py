# Copyright (c) mmwsss contributors. All rights reserved.
"""The shared loader of the mmwsss datasets: image list, image-level labels, optional saliency."""

import copy
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Tuple

import mmengine
import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset

from mmwsss.registry import DATASETS
from .cls_label_file import read_cls_label_file
from .samplers import SampleSeedMixin
from .stage_files import map_path


@DATASETS.register_module()
class WSSSBaseDataset(SampleSeedMixin, BaseSegDataset):
    """Dataset for weakly-supervised segmentation: images, image-level labels, optional saliency.

    Subclasses MMSeg's ``BaseSegDataset`` so label maps, palettes, ``indices``, serialization and
    the test loop work unchanged; it adds, per image, ``cls_labels`` (foreground class indices read
    from a class label file at load time, never from masks), ``num_classes`` (background included),
    ``sal_path`` (saliency PNG or None) and ``img_id``. Every file the list names is checked at load
    time, so a broken layout fails at start-up with the file and line, not in a worker halfway
    through an epoch. With :class:`~mmwsss.datasets.SampleSeedMixin` it honours the per-sample
    seeds of :class:`~mmwsss.datasets.SeededSampler` (augmentation as a function of seed, epoch and
    index).

    Args:
        ann_file (str): Image list, one image id per line (VOC's ``ImageSets`` format; a line may
            also be a path such as ``/JPEGImages/x.jpg /SegmentationClassAug/x.png``: the stem of
            its first token is used). Relative to ``data_root``. ``''`` lists every image of
            ``img_path``.
        cls_label_file (str, optional): Class label file (``<image id> <class index> ...`` per
            line), relative to ``data_root``. None: no ``cls_labels`` in the data infos (fine for a
            segmentation stage or a test split). Defaults to None.
        meta_file (str, optional): A JSON file (relative to ``data_root``) with ``classes``,
            ``palette`` and optionally ``img_suffix``/``seg_map_suffix``/``sal_suffix``, as the
            synthetic benchmark generator writes it; its values are used unless given here. Defaults
            to None.
        img_suffix (str, optional): Image file suffix. None: the meta file's or ``'.jpg'``.
        seg_map_suffix (str, optional): Mask suffix. None: the meta file's or ``'.png'``.
        sal_suffix (str, optional): Saliency map suffix. None: the meta file's or ``'.png'``.
        data_prefix (dict): Folders (relative to ``data_root``): ``img_path`` (required),
            ``seg_map_path`` (GT or pseudo-label masks; optional), ``sal_path`` (saliency maps;
            optional, every listed image must then have one), ``part_path`` (discriminative-part
            masks for evaluation, as the synthetic benchmark's ``PartMask/``; optional, every
            listed image must then have one), ``loc_map_path`` (an earlier stage's stored
            localization maps, ``<img_id>.npz``, which :class:`LoadLocalizationMaps` reads;
            optional, every listed image must then have one). A key set to None is left out.
        check_seg_maps (bool): Whether every listed image must have a mask file (checked at load
            time). Defaults to False (ground truth is read only by evaluation pipelines).
        skip_unlabeled (bool): Skip (with one warning) images whose label line lists no class
            instead of raising. Defaults to False.
        **kwargs: The other arguments of :class:`mmseg.datasets.BaseSegDataset` (``metainfo``,
            ``data_root``, ``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO: dict = dict()

    def __init__(
        self,
        ann_file: str = '',
        cls_label_file: Optional[str] = None,
        meta_file: Optional[str] = None,
        img_suffix: Optional[str] = None,
        seg_map_suffix: Optional[str] = None,
        sal_suffix: Optional[str] = None,
        data_prefix: Optional[dict] = None,
        data_root: Optional[str] = None,
        metainfo: Optional[dict] = None,
        check_seg_maps: bool = False,
        skip_unlabeled: bool = False,
        reduce_zero_label: bool = False,
        **kwargs,
    ) -> None:
        if reduce_zero_label:
            raise ValueError(
                f'{type(self).__name__}: reduce_zero_label=True is not supported; WSSS '
                'datasets keep background at index 0 and list it among the classes'
            )
        if data_prefix is None:
            data_prefix = dict(img_path='')
        data_prefix = {k: v for k, v in data_prefix.items() if v is not None}
        if 'img_path' not in data_prefix:
            raise ValueError(
                f'{type(self).__name__}: data_prefix needs an img_path, got {data_prefix}'
            )

        self.meta_file = self._join_root(meta_file, data_root)
        file_meta = self._read_meta_file(self.meta_file) if self.meta_file else {}
        metainfo = self._merge_metainfo(file_meta, metainfo)
        self.source_classes: Optional[Tuple[str, ...]] = self._source_classes(file_meta, metainfo)

        self.cls_label_file = self._join_root(cls_label_file, data_root)
        self.sal_suffix = sal_suffix or file_meta.get('sal_suffix', '.png')
        self.check_seg_maps = check_seg_maps
        self.skip_unlabeled = skip_unlabeled
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix or file_meta.get('img_suffix', '.jpg'),
            seg_map_suffix=seg_map_suffix or file_meta.get('seg_map_suffix', '.png'),
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            reduce_zero_label=False,
            **kwargs,
        )
        if not type(self).METAINFO.get('classes'):
            # MMSeg's tools read the classes from dataset.METAINFO (confusion_matrix.py): where
            # they come from a meta file or the metainfo argument, that is this dataset's metainfo
            self.METAINFO = self.metainfo

    # ------------------------------------------------------------------ set-up helpers
    @staticmethod
    def _join_root(path: Optional[str], data_root: Optional[str]) -> Optional[str]:
        """Join a relative path with ``data_root`` (as MMEngine does for ``ann_file``)."""
        if not path:
            return None
        if data_root and not osp.isabs(path):
            return osp.join(data_root, path)
        return path

    def _read_meta_file(self, path: str) -> dict:
        """Read the dataset's ``meta.json`` (classes, palette, suffixes)."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'{type(self).__name__}: meta file {path} does not exist')
        try:
            with open(path, encoding='utf-8') as f:
                meta = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'meta file {path} is not valid JSON: {e}') from e
        if not isinstance(meta, dict) or not isinstance(meta.get('classes'), list):
            raise ValueError(f'meta file {path} has no "classes" list')
        if meta.get('palette') is not None and len(meta['palette']) != len(meta['classes']):
            raise ValueError(
                f'meta file {path}: {len(meta["palette"])} palette colours for '
                f'{len(meta["classes"])} classes'
            )
        return meta

    def _merge_metainfo(self, file_meta: dict, metainfo: Optional[dict]) -> Optional[dict]:
        """Classes and palette of the meta file, unless the config gives the same classes itself."""
        if not file_meta:
            return metainfo
        merged = dict(classes=tuple(file_meta['classes']))
        if file_meta.get('palette') is not None:
            merged['palette'] = [list(c) for c in file_meta['palette']]
        if metainfo:
            given = metainfo.get('classes')
            if given is not None and list(given) != list(merged['classes']):
                raise ValueError(
                    f'{type(self).__name__}: metainfo classes {list(given)} differ from '
                    f'the classes {list(merged["classes"])} of {self.meta_file}'
                )
            merged.update({k: v for k, v in metainfo.items() if k != 'classes'})
        return merged

    def _source_classes(
        self, file_meta: dict, metainfo: Optional[dict]
    ) -> Optional[Tuple[str, ...]]:
        """The classes the label file and the masks index into (before any label map)."""
        if file_meta:
            return tuple(file_meta['classes'])
        if self.METAINFO.get('classes') is not None:
            return tuple(self.METAINFO['classes'])
        if metainfo and metainfo.get('classes') is not None:
            return tuple(metainfo['classes'])
        return None

    # ------------------------------------------------------------------ loading
    def _read_image_ids(self) -> List[Tuple[str, str]]:
        """Image ids with where they come from (``'<list file>, line N'``), in list order."""
        img_dir = self.data_prefix['img_path']
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(
                    f'{type(self).__name__}: image list {self.ann_file} does not exist'
                )
            lines = mmengine.list_from_file(self.ann_file, backend_args=self.backend_args)
            ids = []
            for lineno, line in enumerate(lines, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                token = line.split()[0]
                if '/' in token or token.endswith(self.img_suffix):
                    token = osp.basename(token)
                    if token.endswith(self.img_suffix):
                        token = token[: -len(self.img_suffix)]
                ids.append((token, f'{self.ann_file}, line {lineno}'))
            return ids
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{type(self).__name__}: image folder {img_dir} does not exist')
        names = fileio.list_dir_or_file(
            img_dir,
            list_dir=False,
            suffix=self.img_suffix,
            recursive=False,
            backend_args=self.backend_args,
        )
        return [(n[: -len(self.img_suffix)], f'folder {img_dir}') for n in sorted(names)]

    def _map_labels(self, labels: List[int]) -> List[int]:
        """Apply the dataset's label map (a class subset chosen in ``metainfo``) to image labels."""
        if not self.label_map:
            return labels
        mapped = {self.label_map.get(c, 255) for c in labels}
        return sorted(c for c in mapped if c not in (0, 255))

    def _exists(self, path: str) -> bool:
        return fileio.exists(path, backend_args=self.backend_args)

    def load_data_list(self) -> List[dict]:
        """Build one data info per listed image; check every file the list needs.

        Returns:
            list[dict]: Data infos with ``img_path``, ``img_id``, ``seg_map_path``, ``part_path``
            and ``loc_map_path`` (if configured), ``sal_path``, ``cls_labels`` (if a label file is
            configured), ``num_classes``, ``label_map``, ``reduce_zero_label`` and
            ``seg_fields``.
        """
        name = type(self).__name__
        img_dir = self.data_prefix['img_path']
        seg_dir = self.data_prefix.get('seg_map_path')
        sal_dir = self.data_prefix.get('sal_path')
        part_dir = self.data_prefix.get('part_path')
        loc_map_dir = self.data_prefix.get('loc_map_path')
        classes = self._metainfo.get('classes')
        num_classes = len(classes) if classes is not None else None
        source_num = len(self.source_classes) if self.source_classes is not None else num_classes

        labels: Optional[Dict[str, List[int]]] = None
        if self.cls_label_file:
            labels = read_cls_label_file(self.cls_label_file, source_num)

        data_list, skipped = [], []
        for img_id, where in self._read_image_ids():
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            if not self._exists(img_path):
                raise FileNotFoundError(
                    f'{name}: {where} names image "{img_id}" but {img_path} does not exist'
                )
            info = dict(img_path=img_path, img_id=img_id)
            if seg_dir is not None:
                seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix)
                if self.check_seg_maps and not self._exists(seg_path):
                    raise FileNotFoundError(self._missing_seg_message(img_path, seg_path, where))
                info['seg_map_path'] = seg_path
            info['sal_path'] = None
            if sal_dir is not None:
                sal_path = osp.join(sal_dir, img_id + self.sal_suffix)
                if not self._exists(sal_path):
                    raise FileNotFoundError(
                        f'{name}: image "{img_id}" ({where}) has no saliency map: '
                        f'{sal_path} does not exist (data_prefix sal_path is set)'
                    )
                info['sal_path'] = sal_path
            if part_dir is not None:
                part_path = osp.join(part_dir, img_id + self.seg_map_suffix)
                if not self._exists(part_path):
                    raise FileNotFoundError(
                        f'{name}: image "{img_id}" ({where}) has no part mask: {part_path} does '
                        'not exist (data_prefix part_path is set)'
                    )
                info['part_path'] = part_path
            if loc_map_dir is not None:
                loc_map_path = map_path(loc_map_dir, img_id)
                if not self._exists(loc_map_path):
                    raise FileNotFoundError(
                        f'{name}: image "{img_id}" ({where}) has no stored localization maps: '
                        f'{loc_map_path} does not exist (data_prefix loc_map_path is set; did the '
                        'map stage run on this image list?)'
                    )
                info['loc_map_path'] = loc_map_path
            if labels is not None:
                if img_id not in labels:
                    raise KeyError(
                        f'{name}: image "{img_id}" ({where}) is missing from the class label '
                        f'file {self.cls_label_file}'
                    )
                cls_labels = self._map_labels(labels[img_id])
                if not cls_labels:
                    if self.skip_unlabeled:
                        skipped.append(img_id)
                        continue
                    raise ValueError(
                        f'{name}: image "{img_id}" ({where}) has no class labels in '
                        f'{self.cls_label_file}; remove it from the list or set '
                        'skip_unlabeled=True'
                    )
                info['cls_labels'] = cls_labels
            info['num_classes'] = num_classes
            info['label_map'] = self.label_map
            info['reduce_zero_label'] = self.reduce_zero_label
            info['seg_fields'] = []
            data_list.append(info)
        if skipped:
            warnings.warn(
                f'{name}: skipped {len(skipped)} images without class labels in '
                f'{self.cls_label_file} (e.g. {skipped[:3]})',
                stacklevel=1,  # here: the message names the dataset and the file
            )
        if not data_list:
            raise ValueError(f'{name}: no images found (list {self.ann_file or img_dir!r})')
        return data_list

    def _missing_seg_message(self, img_path: str, seg_path: str, where: str) -> str:
        return (
            f'{type(self).__name__}: image {img_path} ({where}) has no mask: {seg_path} does not '
            'exist'
        )

    def get_cls_labels(self, idx: int) -> List[int]:
        """Foreground class indices of the ``idx``-th image.

        Args:
            idx (int): Index in the dataset.

        Returns:
            list[int]: Its image-level labels (1..num_classes-1).
        """
        info = self.get_data_info(idx)
        if 'cls_labels' not in info:
            raise KeyError(f'{type(self).__name__} has no class label file configured')
        return copy.copy(info['cls_labels'])
