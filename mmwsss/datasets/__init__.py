# Copyright (c) mmwsss contributors. All rights reserved.
from . import transforms  # noqa: F401  (registers the transforms)
from .cls_label_file import (
    cls_labels_from_mask,
    derive_cls_labels,
    read_cls_label_file,
    read_index_mask,
    write_cls_label_file,
)
from .coco import COCO_CLASSES, WSSSCOCODataset
from .palette import voc_colormap
from .pseudo_label import PseudoLabelDataset
from .samplers import SampleSeedMixin, SeededIndex, SeededSampler
from .synthetic import generate_pretrain_set, generate_synthetic_benchmark, make_sample, sample_rng
from .synthetic_dataset import SyntheticWSSSDataset
from .transforms import LoadImageLevelLabels, LoadSaliencyMap, PackWSSSInputs
from .voc import VOC_CLASSES, WSSSVOCDataset
from .wsss_base import WSSSBaseDataset

__all__ = [
    'WSSSBaseDataset',
    'WSSSVOCDataset',
    'WSSSCOCODataset',
    'PseudoLabelDataset',
    'SyntheticWSSSDataset',
    'LoadImageLevelLabels',
    'LoadSaliencyMap',
    'PackWSSSInputs',
    'VOC_CLASSES',
    'COCO_CLASSES',
    'read_cls_label_file',
    'write_cls_label_file',
    'read_index_mask',
    'cls_labels_from_mask',
    'derive_cls_labels',
    'voc_colormap',
    'generate_synthetic_benchmark',
    'generate_pretrain_set',
    'make_sample',
    'sample_rng',
    'SeededSampler',
    'SeededIndex',
    'SampleSeedMixin',
]
