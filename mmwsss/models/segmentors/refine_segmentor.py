# Copyright (c) mmwsss contributors. All rights reserved.
"""The refinement network of DRS stage 2 as a segmentor whose refined maps
are scored and stored like stage 1's localization maps."""

from typing import List, Optional

from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmwsss.registry import MODELS
from .cam_classifier import CAMClassifier

_FILE = 'mmwsss/models/segmentors/refine_segmentor.py'


@MODELS.register_module()
class RefineSegmentor(CAMClassifier):
    """Backbone + :class:`RefineHead` trained to regress stored maps.

    A subclass of :class:`CAMClassifier` so ``predict`` (background score,
    optional saliency, masking by the image labels, padding and flip
    handling, ``seg_logits``/``pred_sem_seg`` at the original size), the
    ``test_cfg`` keys and the map-model API are the same, and MMSeg's
    ``IoUMetric`` scores refined maps exactly like stage-1 maps. What
    differs is what a map is: the head's raw regression output, bilinearly
    upsampled (``align_corners=True``) and clipped below at 0 (not above: a
    class scoring above 1 beats a background of 1, as in the official
    pseudo-label script), without the per-class max normalisation of CAMs.
    Training calls ``decode_head.loss`` (MSE to the arg-max-masked
    ``gt_loc_map``).

    ``pred_score`` (there is no classifier): the per-class peak of the
    fused, unmasked maps; ``label_source='pred'`` thresholds it.

    Args:
        backbone (dict): Backbone config, e.g. ``DRSVGG`` with ReLU.
        decode_head (dict): ``RefineHead`` config (``num_classes`` =
            foreground classes).
        train_cfg (dict, optional): Passed to ``decode_head.loss``; unused
            there.
        test_cfg (dict, optional): As :class:`CAMClassifier`'s
            (``bg_threshold``, ``use_saliency``, ``saliency_threshold``,
            ``scales``, ``flip``, ``label_source``, ``score_threshold``).
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        pretrained (str, optional): Backbone checkpoint, as
            :class:`CAMClassifier` takes it.
        init_cfg (dict, optional): Initialisation config.
        head (dict, optional): Deprecated name of ``decode_head``.
    """

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
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg,
            head=head,
        )
        if not hasattr(self.decode_head, 'loss_by_feat'):
            raise TypeError(
                f'{_FILE}: decode_head {type(self.decode_head).__name__} is not '
                'a refinement head (no loss_by_feat); use '
                'RefineHead.'
            )

    def _scores(self, outputs: List[Tensor], fused: Tensor) -> Tensor:
        """Class scores (B, num_fg_classes): the per-class peak of the fused,
        unmasked maps (there is no classifier)."""
        return fused.amax(dim=(2, 3))
