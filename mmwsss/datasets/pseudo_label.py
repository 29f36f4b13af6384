# Copyright (c) mmwsss contributors. All rights reserved.
"""Generated pseudo labels as the masks of a segmentation stage."""

from typing import Optional

from mmwsss.registry import DATASETS
from .wsss_base import WSSSBaseDataset


@DATASETS.register_module()
class PseudoLabelDataset(WSSSBaseDataset):
    """Images with generated pseudo-label PNGs (class indices, 255 = ignore) as ``seg_map_path``.

    The final stage of a WSSS pipeline trains an ordinary MMSeg segmentor on these; its train
    pipeline reads them with MMSeg's ``LoadAnnotations`` like ground truth. Every listed image must
    have a pseudo label (checked at load time, the error names the image and the missing PNG).

    Args:
        ann_file (str): Image list (relative to ``data_root``); ``''`` lists every image of
            ``img_path``.
        data_prefix (dict): ``img_path`` (relative to ``data_root`` or absolute) and
            ``seg_map_path``, the pseudo-label folder (often an absolute ``work_dirs/...`` path).
        metainfo_from (str, optional): Name of a registered dataset (e.g. ``'WSSSVOCDataset'``)
            whose ``METAINFO`` (classes, palette) to use. Alternatives:
            ``metainfo=dict(classes=...)`` or ``meta_file`` (a generator's ``meta.json``). Defaults
            to None.
        **kwargs: See :class:`WSSSBaseDataset` (``cls_label_file`` is optional here).
    """

    def __init__(
        self,
        ann_file: str = '',
        data_prefix: Optional[dict] = None,
        metainfo_from: Optional[str] = None,
        metainfo: Optional[dict] = None,
        **kwargs,
    ) -> None:
        if not data_prefix or not data_prefix.get('seg_map_path'):
            raise ValueError(
                'PseudoLabelDataset: data_prefix must name the pseudo-label folder as '
                f'seg_map_path, got {data_prefix}'
            )
        if metainfo_from is not None:
            source = DATASETS.get(metainfo_from)
            if source is None or not getattr(source, 'METAINFO', {}).get('classes'):
                raise ValueError(
                    f'PseudoLabelDataset: metainfo_from={metainfo_from!r} is not a '
                    'registered dataset with METAINFO classes'
                )
            base = dict(classes=tuple(source.METAINFO['classes']))
            if source.METAINFO.get('palette') is not None:
                base['palette'] = list(source.METAINFO['palette'])
            base.update(metainfo or {})
            metainfo = base
        kwargs.setdefault('check_seg_maps', True)
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, metainfo=metainfo, **kwargs)

    def _missing_seg_message(self, img_path: str, seg_path: str, where: str) -> str:
        return (
            f'PseudoLabelDataset: image {img_path} ({where}) has no pseudo label: {seg_path} does '
            'not exist; did the pseudo-label stage run on this image list?'
        )
