# Copyright (c) mmwsss contributors. All rights reserved.
"""A multi-label classifier that predicts segmentations from its class
activation maps (stage 1 of DRS)."""

import logging
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList
from torch import Tensor

from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/segmentors/cam_classifier.py'

_TEST_CFG_DEFAULTS = dict(
    bg_threshold=0.2,
    use_saliency=False,
    saliency_threshold=None,
    scales=(1.0,),
    flip=False,
    label_source='gt',
    score_threshold=0.5,
    batch_passes=False,
)


def check_scales(
    scales: Union[int, float, Sequence[Union[int, float]]], name: str
) -> Tuple[Union[int, float], ...]:
    """Test scales as a tuple: positive ints (square sides) or floats (factors of the input size).

    Args:
        scales (int | float | Sequence[int | float]): One scale or several.
        name (str): What they are, for the error message.

    Returns:
        tuple: The scales.
    """
    scales = tuple(scales) if isinstance(scales, (list, tuple)) else (scales,)
    if not scales or any(
        isinstance(s, bool) or not isinstance(s, (int, float)) or s <= 0 for s in scales
    ):
        raise ValueError(
            f'{name} must be positive ints (square sides) or floats (factors of the '
            f'input size), got {scales!r}.'
        )
    return scales


def build_segmentor_parts(
    backbone: ConfigType,
    decode_head: OptConfigType,
    head: OptConfigType,
    pretrained: Optional[str],
    owner: str,
) -> Tuple[dict, ConfigType]:
    """The backbone and decode-head configs of a map segmentor, MMSeg's way.

    ``head`` is the name the decode head had before mmwsss followed MMSeg's ``decode_head``: it is
    still accepted, with a deprecation warning. ``pretrained`` (as ``EncoderDecoder`` takes it) is
    a backbone checkpoint: it replaces the checkpoint of the backbone's ``Pretrained`` init_cfg
    (keeping its ``prefix``), or sets ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.

    Args:
        backbone (dict): Backbone config.
        decode_head (dict, optional): Decode head config.
        head (dict, optional): The same under its old name.
        pretrained (str, optional): Backbone checkpoint.
        owner (str): The segmentor's class name, for messages.

    Returns:
        tuple[dict, dict]: The backbone and decode-head configs.
    """
    if head is not None:
        if decode_head is not None:
            raise TypeError(
                f'{_FILE}: {owner} got both decode_head and head (its old name); a '
                'config that sets model.head next to model.decode_head was merged '
                'from two layouts: rename head to decode_head.'
            )
        print_log(
            f"{owner}: `head` is deprecated, call it `decode_head` as MMSeg's segmentors "
            'do (the old name is read for now).',
            logger='current',
            level=logging.WARNING,
        )
        decode_head = head
    if decode_head is None:
        raise TypeError(f'{_FILE}: {owner} needs a decode_head config.')
    if pretrained is not None:
        backbone = dict(backbone)
        if backbone.get('pretrained') is not None:
            raise ValueError(f'{_FILE}: both the backbone and {owner} set pretrained weights.')
        init_cfg = backbone.get('init_cfg')
        if isinstance(init_cfg, Mapping) and init_cfg.get('type') == 'Pretrained':
            backbone['init_cfg'] = dict(init_cfg, checkpoint=pretrained)
        else:
            backbone['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained)
    return backbone, decode_head


@MODELS.register_module()
class CAMClassifier(BaseSegmentor):
    """Image-level classifier whose localization maps are its segmentation.

    A subclass of MMSeg's ``BaseSegmentor`` so MMSeg's runners, test loop,
    ``IoUMetric`` and visualiser take it as any segmentor. Training reads
    only ``gt_cls_label`` (never ``gt_sem_seg``).

    ``predict`` fills, per data sample and at the original image size:

    - ``seg_logits``: PixelData (num_classes + 1, H, W); channel 0 is the
      background score, channels 1.. the localization maps in [0, 1]
      (zero for classes absent from the image's labels);
    - ``pred_sem_seg``: PixelData (1, H, W), long, the arg-max of the above;
    - ``pred_score``: Tensor (num_classes, ), sigmoid of the logits (mean
      over the test-time scales and flips).

    Localization maps follow the official DRS evaluation: for every scale
    (and flip) the image is resized, the class maps are rectified,
    upsampled to the original size, divided by their per-class maximum,
    and the passes are fused by element-wise maximum.

    Follows MMSeg's segmentor conventions, so MMSeg's own tools
    (``get_flops.py``, ``benchmark.py``, ``print_config.py``...) take it: the
    head is ``decode_head`` (config key and attribute), ``pretrained`` is
    taken as ``EncoderDecoder`` takes it, and ``extract_feat``, ``_forward``
    (tensor mode) and ``encode_decode`` exist. Checkpoints written before the
    head was called ``decode_head`` (keys ``head.*``) still load: their keys
    are renamed while loading (:meth:`convert_legacy_keys`).

    Args:
        backbone (dict): Backbone config, e.g. ``DRSVGG``.
        decode_head (dict): ``CAMHead`` config.
        train_cfg (dict, optional): Unused; kept for MMSeg compatibility.
        test_cfg (dict, optional): Options of ``predict``:

            - ``bg_threshold`` (float): background score where no saliency is
              used; with saliency, pixels whose best class score is below it
              are background (DRS's object-cue threshold ``alpha``).
              Default: 0.2 (the official value).
            - ``use_saliency`` (bool): background score = 1 - saliency / 255
              from ``data_sample.gt_saliency``. Default: False.
            - ``saliency_threshold`` (int, optional): binarise the saliency
              at ``> threshold`` first (the official code uses 50).
              Default: None (use it as is).
            - ``scales`` (Sequence[int | float]): input scales; an int is a
              square side (the official 256, 320, 384), a float a factor of
              the input size. Default: (1.0, ).
            - ``flip`` (bool): add horizontally flipped passes.
              Default: False.
            - ``label_source`` ('gt' | 'pred'): keep the maps of the image's
              ``gt_cls_label`` (the WSSS convention on the training set) or of
              the classes with ``pred_score > score_threshold``.
              Default: 'gt'.
            - ``score_threshold`` (float): for ``label_source='pred'``.
              Default: 0.5.
            - ``batch_passes`` (bool): run the passes of the images of a
              batch that share their valid region, flip and original size as
              one batch (faster; batched convolutions may round differently
              from one-image passes, by about 1/255 in a map). Default: False
              (one image at a time).
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        pretrained (str, optional): Backbone checkpoint, as ``EncoderDecoder``
            takes it (see :func:`build_segmentor_parts`). Default: None.
        init_cfg (dict, optional): Initialisation config.
        head (dict, optional): Deprecated name of ``decode_head``.
    """

    # 2: the head is ``decode_head`` (was ``head``); see convert_legacy_keys
    _version = 2
    # (old, new) key prefixes of checkpoints written before version 2
    LEGACY_KEY_PREFIXES: Tuple[Tuple[str, str], ...] = (('head.', 'decode_head.'),)

    def __init__(
        self,
        backbone: ConfigType,
        decode_head: OptConfigType = None,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        pretrained: Optional[str] = None,
        init_cfg: OptMultiConfig = None,
        head: OptConfigType = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        backbone, decode_head = build_segmentor_parts(
            backbone, decode_head, head, pretrained, type(self).__name__
        )
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        if not hasattr(self.decode_head, 'localization_maps'):
            raise TypeError(
                f'{_FILE}: decode_head {type(self.decode_head).__name__} is not '
                'a CAM head (no localization_maps method).'
            )
        self.train_cfg = train_cfg
        self.test_cfg = self._check_test_cfg(test_cfg)
        self.align_corners = True
        self.num_fg_classes = self.decode_head.num_classes
        # classes as MMSeg counts them: background + foreground
        self.num_classes = self.num_fg_classes + 1
        self.out_channels = self.num_classes

    # ------------------------------------------------------------------ #
    # checkpoints of the old layout
    # ------------------------------------------------------------------ #
    @classmethod
    def convert_legacy_keys(cls, state_dict: Mapping, prefix: str = '') -> 'OrderedDict':
        """A state dict with the keys of checkpoints written before version 2 renamed.

        Those called the decode head ``head``: ``<prefix>head.*`` becomes
        ``<prefix>decode_head.*`` (``LEGACY_KEY_PREFIXES``); other keys, their
        order and the ``_metadata`` stay.

        Args:
            state_dict (Mapping): Keys to tensors.
            prefix (str): The model's prefix in ``state_dict``. Default: ''.

        Returns:
            OrderedDict: The renamed state dict (a new one).
        """
        out = OrderedDict()
        for key, value in state_dict.items():
            for old, new in cls.LEGACY_KEY_PREFIXES:
                if key.startswith(prefix + old):
                    key = prefix + new + key[len(prefix + old) :]
                    break
            out[key] = value
        metadata = getattr(state_dict, '_metadata', None)
        if metadata is not None:
            out._metadata = metadata
        return out

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args, **kwargs) -> None:
        """Rename the keys of the old layout (``head.*``) before loading."""
        if any(
            k.startswith(prefix + old) for k in state_dict for old, _ in self.LEGACY_KEY_PREFIXES
        ):
            converted = self.convert_legacy_keys(
                {k: v for k, v in state_dict.items() if k.startswith(prefix)}, prefix
            )
            for key in [k for k in state_dict if k.startswith(prefix)]:
                del state_dict[key]
            state_dict.update(converted)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args, **kwargs)

    @staticmethod
    def _check_test_cfg(test_cfg: OptConfigType) -> ConfigDict:
        cfg = dict(_TEST_CFG_DEFAULTS)
        given = dict(test_cfg or {})
        unknown = set(given) - set(cfg) - {'mode'}
        if unknown:
            raise KeyError(
                f'{_FILE}: unknown test_cfg keys {sorted(unknown)}; known: {sorted(cfg)}.'
            )
        given.pop('mode', None)  # MMSeg's 'whole'/'slide' has no meaning here
        cfg.update(given)
        if cfg['label_source'] not in ('gt', 'pred'):
            raise ValueError(
                f"{_FILE}: test_cfg.label_source must be 'gt' or "
                f"'pred', got {cfg['label_source']!r}."
            )
        if not 0 <= cfg['bg_threshold'] <= 1:
            raise ValueError(
                f'{_FILE}: test_cfg.bg_threshold must be in [0, 1], got {cfg["bg_threshold"]}.'
            )
        cfg['scales'] = check_scales(cfg['scales'], f'{_FILE}: test_cfg.scales')
        thr = cfg['saliency_threshold']
        if thr is not None and not 0 <= thr < 255:
            raise ValueError(
                f'{_FILE}: test_cfg.saliency_threshold must be None or in [0, 255), got {thr}.'
            )
        return ConfigDict(cfg)

    # ------------------------------------------------------------------ #
    # network
    # ------------------------------------------------------------------ #
    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone features of images (B, 3, H, W)."""
        feats = self.backbone(inputs)
        return (feats,) if isinstance(feats, Tensor) else tuple(feats)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        """Tensor mode: class activation maps (B, num_fg_classes, h, w)."""
        return self.decode_head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses from images and their image-level labels.

        Args:
            inputs (Tensor): Images, shape (B, 3, H, W).
            data_samples (list[SegDataSample]): With ``gt_cls_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls``.
        """
        if data_samples is None:
            raise ValueError(f'{_FILE}: loss needs data samples carrying gt_cls_label.')
        return self.decode_head.loss(self.extract_feat(inputs), data_samples, self.train_cfg)

    # ------------------------------------------------------------------ #
    # localization maps
    # ------------------------------------------------------------------ #
    def _scaled_size(self, scale: Union[int, float], size: Sequence[int]) -> Tuple[int, int]:
        if isinstance(scale, int):
            return scale, scale
        return (max(1, int(round(size[0] * scale))), max(1, int(round(size[1] * scale))))

    def localization_maps(
        self,
        inputs: Tensor,
        out_size: Optional[Sequence[int]] = None,
        labels: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor]:
        """Multi-scale (and optionally flipped) localization maps.

        Uses ``test_cfg.scales`` and ``test_cfg.flip``; every pass gives the
        head's maps at ``out_size`` (a CAM head's are normalised to a
        per-class maximum of 1); the passes are fused by element-wise maximum.

        Args:
            inputs (Tensor): Normalised images without padding,
                shape (B, 3, H, W).
            out_size (Sequence[int], optional): Output (H', W'); default the
                input size.
            labels (Tensor, optional): Multi-hot (B, num_fg_classes) that
                masks the maps; None keeps every class.

        Returns:
            tuple[Tensor, Tensor]: maps (B, num_fg_classes, H', W') (in
            [0, 1] for a CAM head), and scores (B, num_fg_classes) (see
            :meth:`_scores`).
        """
        in_size = tuple(inputs.shape[-2:])
        out_size = tuple(out_size) if out_size is not None else in_size
        fused, outputs = None, []
        flips = (False, True) if self.test_cfg.flip else (False,)
        for scale in self.test_cfg.scales:
            size = self._scaled_size(scale, in_size)
            img = (
                inputs
                if size == in_size
                else F.interpolate(inputs, size=size, mode='bilinear', align_corners=False)
            )
            for flip in flips:
                x = img.flip(-1) if flip else img
                outputs.append(self._forward(x))
                maps = self.decode_head.localization_maps(outputs[-1], out_size)
                if flip:
                    maps = maps.flip(-1)
                fused = maps if fused is None else torch.maximum(fused, maps)
        scores = self._scores(outputs, fused)
        if labels is not None:
            fused = fused * labels.to(fused)[:, :, None, None]
        return fused, scores

    def _scores(self, outputs: List[Tensor], fused: Tensor) -> Tensor:
        """Class scores (B, num_fg_classes) of the passes' class maps
        ``outputs``: the mean sigmoid of the pooled logits."""
        score_sum = 0
        for cams in outputs:
            score_sum = score_sum + torch.sigmoid(self.decode_head.pool(cams))
        return score_sum / len(outputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Unmasked localization maps at the input size.

        Args:
            inputs (Tensor): Images, shape (B, 3, H, W).
            batch_img_metas (list[dict]): Unused.

        Returns:
            Tensor: Shape (B, num_fg_classes, H, W).
        """
        return self.localization_maps(inputs)[0]

    # ------------------------------------------------------------------ #
    # prediction
    # ------------------------------------------------------------------ #
    @staticmethod
    def _undo_flip(x: Tensor, meta: dict) -> Tensor:
        """Undo a pipeline flip recorded in ``meta`` on a (..., H, W) map."""
        if not meta.get('flip', False):
            return x
        direction = meta.get('flip_direction', 'horizontal')
        dims = dict(horizontal=(-1,), vertical=(-2,), diagonal=(-2, -1)).get(direction)
        if dims is None:
            raise ValueError(f'{_FILE}: unknown flip_direction {direction!r}.')
        return x.flip(dims)

    def _saliency(
        self,
        sample: SegDataSample,
        meta: dict,
        valid: Tuple[int, int, int, int],
        padded_size: Sequence[int],
        size: Sequence[int],
    ) -> Tensor:
        """Saliency in [0, 1] at ``size`` (H, W) for one sample."""
        if 'gt_saliency' not in sample:
            raise KeyError(
                f'{_FILE}: test_cfg.use_saliency is True but the data sample '
                f'of {meta.get("img_path", "an image")} has no gt_saliency; '
                'add LoadSaliencyMap to the test pipeline.'
            )
        sal = sample.gt_saliency.data.float()
        if sal.dim() == 2:
            sal = sal[None]
        top, bottom, left, right = valid
        if tuple(sal.shape[-2:]) == tuple(padded_size) and tuple(padded_size) != (
            bottom - top,
            right - left,
        ):
            sal = sal[..., top:bottom, left:right]  # padded with the image
        sal = self._undo_flip(sal, meta)
        if tuple(sal.shape[-2:]) != tuple(size):
            sal = F.interpolate(sal[None], size=tuple(size), mode='bilinear', align_corners=False)[
                0
            ]
        thr = self.test_cfg.saliency_threshold
        if thr is not None:
            return (sal > thr).float()[0]
        return (sal / 255.0).clamp(0, 1)[0]

    def _background(self, maps: Tensor, saliency: Optional[Tensor]) -> Tensor:
        """Background score (1, H, W) from fused maps (K, H, W)."""
        thr = self.test_cfg.bg_threshold
        if saliency is None:
            return maps.new_full((1,) + tuple(maps.shape[-2:]), thr)
        bg = (1.0 - saliency)[None].to(maps)
        # official rule: class scores below the threshold are dropped, so
        # such pixels become background whatever the saliency says
        if maps.shape[0]:
            weak = maps.amax(dim=0, keepdim=True) < thr
            bg = torch.where(weak, bg.clamp(min=thr), bg)
        return bg

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """Localization maps and segmentations at the original image size.

        Args:
            inputs (Tensor): Preprocessed (possibly padded) images,
                shape (B, 3, H, W).
            data_samples (list[SegDataSample], optional): With metainfo
                (``ori_shape``, ``padding_size``, ``flip``...), and
                ``gt_cls_label`` / ``gt_saliency`` as ``test_cfg`` needs.
                Without them predictions are at the input size and masked by
                the predicted labels.

        Returns:
            list[SegDataSample]: With ``seg_logits``, ``pred_sem_seg`` and
            ``pred_score`` set (see the class docstring).
        """
        only_prediction = data_samples is None
        if only_prediction:
            data_samples = [SegDataSample() for _ in range(inputs.shape[0])]
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(
                f'{_FILE}: {inputs.shape[0]} images but {len(data_samples)} data samples.'
            )
        height, width = inputs.shape[-2:]
        # images whose passes run together: same valid region, flip and output size
        groups: Dict[tuple, List[int]] = {}
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            key = (
                self._valid_region(meta, (height, width)),
                bool(meta.get('flip', False)),
                meta.get('flip_direction', 'horizontal'),
                tuple(meta.get('ori_shape', ())),
            )
            groups.setdefault(key if self.test_cfg.batch_passes else (i,), []).append(i)
        for indices in groups.values():
            meta = data_samples[indices[0]].metainfo
            top, bottom, left, right = self._valid_region(meta, (height, width))
            batch = inputs[indices[0] : indices[0] + 1] if len(indices) == 1 else inputs[indices]
            img = self._undo_flip(batch[:, :, top:bottom, left:right], meta)
            ori_shape = tuple(meta.get('ori_shape', img.shape[-2:]))[:2]
            maps, scores = self.localization_maps(img, ori_shape)
            for j, i in enumerate(indices):
                self._set_prediction(
                    data_samples[i],
                    maps[j],
                    scores[j],
                    (top, bottom, left, right),
                    (height, width),
                    only_prediction,
                )
        return data_samples

    @staticmethod
    def _valid_region(meta: dict, size: Sequence[int]) -> Tuple[int, int, int, int]:
        """(top, bottom, left, right) of the unpadded image in a padded input of ``size``."""
        left, right, top, bottom = meta.get(
            'padding_size', meta.get('img_padding_size', (0, 0, 0, 0))
        )
        return top, size[0] - bottom, left, size[1] - right

    def _set_prediction(
        self,
        sample: SegDataSample,
        maps: Tensor,
        score: Tensor,
        valid: Tuple[int, int, int, int],
        padded_size: Sequence[int],
        only_prediction: bool,
    ) -> None:
        """Mask one image's maps (K, H, W) by its labels and set its predictions."""
        meta = sample.metainfo
        if self.test_cfg.label_source == 'gt' and not only_prediction:
            labels = self.decode_head.stack_labels([sample])[0]
        else:
            labels = (score > self.test_cfg.score_threshold).float()
        maps = maps * labels.to(maps)[:, None, None]
        saliency = None
        if self.test_cfg.use_saliency:
            saliency = self._saliency(sample, meta, valid, padded_size, maps.shape[-2:])
        seg_logits = torch.cat([self._background(maps, saliency), maps])
        sample.set_data(
            dict(
                seg_logits=PixelData(data=seg_logits),
                pred_sem_seg=PixelData(data=seg_logits.argmax(dim=0, keepdim=True)),
                pred_score=score,
            )
        )

    def aug_test(self, inputs, batch_img_metas):
        """Not used: set ``test_cfg.scales`` and ``test_cfg.flip``."""
        raise NotImplementedError(
            f'{_FILE}: CAMClassifier does test-time augmentation through '
            'test_cfg.scales and test_cfg.flip.'
        )
