# Copyright (c) mmwsss contributors. All rights reserved.
"""Dense CRF at test time around any MMSeg segmentor."""

from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from torch import Tensor

from mmwsss.models.utils import DenseCRF
from mmwsss.registry import MODELS

_FILE = 'mmwsss/models/segmentors/dense_crf_segmentor.py'

SCORE_TYPES = ('auto', 'logits', 'probs', 'scores')


@MODELS.register_module()
class DenseCRFSegmentor(BaseSegmentor):
    """Wrap a segmentor so its test-time predictions go through a dense CRF.

    A ``BaseSegmentor`` so MMSeg's runners, test loop, ``IoUMetric`` and
    visualiser take it as the segmentor it wraps: training, ``tensor`` mode
    and every attribute the wrapper lacks (``test_cfg``, ``num_classes``,
    ``localization_maps`` ...) are delegated to the wrapped model, and it
    shares the wrapped model's data preprocessor. A checkpoint of the plain
    segmentor loads as is (``load_from``): keys without the ``segmentor.``
    prefix get it while loading.

    Per data sample, ``predict`` turns the wrapped model's ``seg_logits``
    (C, H, W) at the original size into probabilities, runs
    :class:`~mmwsss.models.utils.DenseCRF` with the image (the file of
    ``img_path``, read again, as the official evaluation uses the original
    image), and sets
    ``pred_sem_seg`` to the arg-max of the posterior; ``seg_logits`` is left
    as the wrapped model gave it. Needs pydensecrf
    (``pip install -r requirements/optional.txt``).

    Config, e.g. for the final segmentation stage::

        model = dict(type='DenseCRFSegmentor', segmentor=<the model dict>)

    Args:
        segmentor (dict): Config of the wrapped segmentor (any MMSeg or
            mmwsss segmentor).
        crf_cfg (dict, optional): Arguments of ``DenseCRF``; default the
            official DRS settings (10 iterations, Gaussian sxy 1 / weight 3,
            bilateral sxy 67 / srgb 3 / weight 4).
        score_type (str): How ``seg_logits`` become probabilities:
            ``'logits'`` softmax over classes (sigmoid for one channel, as
            MMSeg's binary heads); ``'probs'`` used as they are;
            ``'scores'`` non-negative scores divided by their per-pixel sum
            (mmwsss map models: channel 0 background score, maps in [0, 1]);
            ``'auto'``: ``'scores'`` for models with ``localization_maps``,
            else ``'logits'``. Default: ``'auto'``.
        backend_args (dict, optional): File backend arguments of the images.
            Default: None.
        train_cfg (dict, optional): The wrapped model's, when given (MMSeg's
            tools set ``model.train_cfg``). Default: None (the wrapped
            config's own).
        pretrained (str, optional): The wrapped model's ``pretrained``, when
            given. Default: None.
        init_cfg (dict, optional): Unused (the wrapped model initialises
            itself).
    """

    def __init__(
        self,
        segmentor: ConfigType,
        crf_cfg: OptConfigType = None,
        score_type: str = 'auto',
        backend_args: Optional[dict] = None,
        train_cfg: OptConfigType = None,
        pretrained: Optional[str] = None,
        init_cfg: OptConfigType = None,
    ) -> None:
        if score_type not in SCORE_TYPES:
            raise ValueError(
                f'{_FILE}: score_type must be one of {SCORE_TYPES}, got {score_type!r}.'
            )
        crf = DenseCRF(**dict(crf_cfg or {}))  # fails early without pydensecrf
        given = {
            k: v for k, v in (('train_cfg', train_cfg), ('pretrained', pretrained)) if v is not None
        }
        if isinstance(segmentor, BaseSegmentor):
            if given:
                raise ValueError(
                    f'{_FILE}: {sorted(given)} can only be passed on to a '
                    'segmentor config, not to a built segmentor.'
                )
            inner = segmentor
        else:
            # ConfigDict: MMSeg segmentors read test_cfg.mode as an attribute
            inner = MODELS.build(ConfigDict(dict(segmentor, **given)))
        super().__init__(data_preprocessor=inner.data_preprocessor, init_cfg=init_cfg)
        self.segmentor = inner
        self.crf = crf
        if score_type == 'auto':
            score_type = 'scores' if hasattr(inner, 'localization_maps') else 'logits'
        self.score_type = score_type
        self.backend_args = backend_args.copy() if backend_args else None
        self._register_load_state_dict_pre_hook(self._add_prefix)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            inner = self.__dict__.get('_modules', {}).get('segmentor')
            if inner is None:
                raise
            return getattr(inner, name)

    @staticmethod
    def _add_prefix(
        state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Load a plain segmentor's state dict: prefix its keys."""
        inner = prefix + 'segmentor.'
        keys = [k for k in state_dict if k.startswith(prefix)]
        if not keys or any(k.startswith(inner) for k in keys):
            return
        for key in keys:
            state_dict[inner + key[len(prefix) :]] = state_dict.pop(key)
        metadata = getattr(state_dict, '_metadata', None)
        if metadata is not None:
            base = prefix[:-1]
            for key in list(metadata):
                if key == base:
                    rel = ''
                elif key.startswith(prefix):
                    rel = key[len(prefix) :]
                else:
                    continue
                metadata.setdefault(inner[:-1] + ('.' + rel if rel else ''), metadata[key])

    # ------------------------------------------------------------------ #
    # delegation
    # ------------------------------------------------------------------ #
    def extract_feat(self, inputs: Tensor):
        """The wrapped model's features."""
        return self.segmentor.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas):
        """The wrapped model's ``encode_decode`` (no CRF)."""
        return self.segmentor.encode_decode(inputs, batch_img_metas)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The wrapped model's losses (the CRF is test-time only)."""
        return self.segmentor.loss(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None):
        """The wrapped model's tensor-mode output (no CRF)."""
        return self.segmentor._forward(inputs, data_samples)

    # ------------------------------------------------------------------ #
    # CRF
    # ------------------------------------------------------------------ #
    def to_probs(self, seg_logits: Tensor) -> Tensor:
        """Class probabilities from one sample's ``seg_logits``.

        Args:
            seg_logits (Tensor): Shape (C, H, W).

        Returns:
            Tensor: float (C', H, W) summing to 1 per pixel; C' = 2 for a
            one-channel (binary) output, else C.
        """
        x = seg_logits.float()
        if x.shape[0] == 1:
            p = torch.sigmoid(x) if self.score_type == 'logits' else x.clamp(0, 1)
            return torch.cat([1 - p, p])
        if self.score_type == 'logits':
            return F.softmax(x, dim=0)
        x = x.clamp(min=0)
        total = x.sum(dim=0, keepdim=True)
        uniform = torch.full_like(x, 1.0 / x.shape[0])
        return torch.where(total > 0, x / total.clamp(min=1e-12), uniform)

    def _image(self, meta: dict, size) -> np.ndarray:
        """The RGB image of ``meta['img_path']`` at ``size`` (H, W)."""
        path = meta.get('img_path')
        if not path:
            raise KeyError(
                f'{_FILE}: the CRF needs img_path in the data '
                "sample's metainfo (it reads the image file)."
            )
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'{_FILE}: image {path} (for the CRF) does not exist.'
            ) from None
        img = mmcv.imfrombytes(data, flag='color', channel_order='rgb')
        if img is None:
            raise ValueError(f'{_FILE}: image {path} cannot be decoded.')
        if img.shape[:2] != tuple(size):
            img = mmcv.imresize(img, (size[1], size[0]))
        return img

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """The wrapped model's predictions with CRF-refined ``pred_sem_seg``.

        Args:
            inputs (Tensor): Preprocessed images, shape (B, 3, H, W).
            data_samples (list[SegDataSample], optional): As the wrapped
                model takes them.

        Returns:
            list[SegDataSample]: ``pred_sem_seg`` (1, H, W) long from the CRF;
            the other fields as the wrapped model set them.
        """
        results = self.segmentor.predict(inputs, data_samples)
        for sample in results:
            if 'seg_logits' not in sample:
                raise KeyError(
                    f'{_FILE}: {type(self.segmentor).__name__} '
                    'gave no seg_logits to run the CRF on.'
                )
            logits = sample.seg_logits.data
            size = tuple(logits.shape[-2:])
            image = self._image(sample.metainfo, size)
            probs = self.to_probs(logits).cpu().numpy()
            posterior = self.crf(image, probs)
            pred = torch.from_numpy(posterior.argmax(axis=0)).long()
            sample.pred_sem_seg = PixelData(data=pred[None].to(logits.device))
        return results
