# Copyright (c) mmwsss contributors. All rights reserved.
"""Pictures of localization maps, sent to the visualizer's backends during validation and test."""

from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine import fileio
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS

__all__ = ['CAMVisualizationHook']

_NAME = 'CAMVisualizationHook'


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Send a picture of the localization maps of every ``interval``-th image of the validation
    (and test) set to the runner's visualizer, hence to each of its backends.

    A picture is one row of :func:`mmwsss.visualization.render_grid`: the image, a heat map of each
    of the image's classes (its image-level labels, else the predicted ones; jet on a fixed
    [0, 1] scale over the image), the predicted label and the ground truth, at the original image
    size, from the prediction the loop already made (``seg_logits``: a map model's channels
    1..K are its maps; any other segmentor's are shown as softmax scores). Its name is
    ``{val,test}_cam_<img_id>`` and its step the training iteration: ``LocalVisBackend`` writes
    ``<work_dir>/<timestamp>/vis_data/vis_image/<name>_<step>.png``, ``TensorboardVisBackend``
    adds it to the event file (``pip install tensorboard``), ``WandbVisBackend`` logs it.

    Example::

        custom_hooks = [dict(type='CAMVisualizationHook', interval=50)]
        visualizer = dict(type='SegLocalVisualizer', vis_backends=[
            dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])

    Args:
        interval (int): Every ``interval``-th image of each validation / test pass (the first
            included) is drawn; under DDP, of rank 0's share. Defaults to 50.
        per_class (bool): One heat map per class; False draws their maximum. Defaults to True.
        cell_size (int): Side of a picture cell in pixels. Defaults to 128.
        test (bool): Draw during test passes too. Defaults to True.
        backend_args (dict, optional): File backend arguments to read the images with.
    """

    priority = 'NORMAL'

    def __init__(
        self,
        interval: int = 50,
        per_class: bool = True,
        cell_size: int = 128,
        test: bool = True,
        backend_args: Optional[dict] = None,
    ) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'{_NAME}: interval must be an int >= 1, got {interval!r}.')
        if cell_size < 16:
            raise ValueError(f'{_NAME}: cell_size must be >= 16, got {cell_size}.')
        self.interval = interval
        self.per_class = per_class
        self.cell_size = cell_size
        self.test = test
        self.backend_args = backend_args
        self._seen = 0

    def before_val_epoch(self, runner) -> None:
        self._seen = 0

    def before_test_epoch(self, runner) -> None:
        self._seen = 0

    def after_val_iter(
        self, runner, batch_idx: int, data_batch=None, outputs: Optional[Sequence] = None
    ) -> None:
        self._draw(runner, outputs, 'val')

    def after_test_iter(
        self, runner, batch_idx: int, data_batch=None, outputs: Optional[Sequence] = None
    ) -> None:
        if self.test:
            self._draw(runner, outputs, 'test')

    def _draw(self, runner, outputs: Optional[Sequence], mode: str) -> None:
        from mmwsss.datasets.palette import voc_colormap
        from mmwsss.visualization import render_grid, row_from_prediction

        for sample in outputs or []:
            index, self._seen = self._seen, self._seen + 1
            if index % self.interval or not is_main_process():  # the backends write on rank 0
                continue
            if 'seg_logits' not in sample or 'img_path' not in sample:
                raise KeyError(
                    f'{_NAME}: the {mode} outputs need seg_logits and img_path (a '
                    "segmentor's predict() output of a dataset with img_path)."
                )
            path = sample.img_path
            try:
                image = mmcv.imfrombytes(
                    fileio.get(path, backend_args=self.backend_args), channel_order='rgb'
                )
            except (OSError, ValueError) as e:
                raise OSError(f'{_NAME}: cannot read the image {path}: {e}') from e
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            img_id = str(path).replace('\\', '/').rsplit('/', 1)[-1].rsplit('.', 1)[0]
            row = row_from_prediction(
                sample, np.ascontiguousarray(image), img_id, hasattr(model, 'localization_maps')
            )
            loader = runner.val_dataloader if mode == 'val' else runner.test_dataloader
            meta = loader.dataset.metainfo
            classes = list(meta['classes'])
            palette = meta.get('palette') or voc_colormap(len(classes))
            grid = render_grid(
                [row], classes, palette, per_class=self.per_class, cell_size=self.cell_size
            )
            runner.visualizer.add_image(f'{mode}_cam_{img_id}', grid, step=runner.iter)
