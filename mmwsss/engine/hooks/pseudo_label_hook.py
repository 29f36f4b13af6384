# Copyright (c) mmwsss contributors. All rights reserved.
"""Write localization maps and pseudo labels with the trained model at the end of a training
stage."""

from typing import Union

from mmengine.hooks import Hook
from prettytable import PrettyTable

from mmwsss.registry import HOOKS, LOOPS

__all__ = ['PseudoLabelHook']


# A plain MMEngine Hook: generation is a one-off after training, run by the PseudoLabelLoop.
@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """Run a :class:`mmwsss.engine.PseudoLabelLoop` with the trained model after training.

    The hook's arguments are the loop's settings; ``tools/gen_pseudo_labels.py`` builds the same
    loop from the same entry for a checkpoint. ``before_run`` checks, before any training, that the
    output folders are writable, that the dataset loads with image-level labels and, in 'saliency'
    mode, that every saliency map exists. ``after_train`` (which MMEngine also calls when a finished
    stage is resumed) generates the files still missing (under DDP each rank its shard), then
    scores them against the GT masks where the dataset has them. The metrics go to
    ``runner.logger``, to the message hub and the visualizer as scalars (keys like
    ``pseudo_label/mIoU``, ``loc_map/best_mIoU``) and to ``<out_dir>/metrics.json``.

    Config example::

        custom_hooks = [
            dict(type='PseudoLabelHook',
                 dataset=dict(type='WSSSVOCDataset', data_root=..., ann_file=..., pipeline=[...]),
                 out_dir='pseudo_labels', scales=(256, 320, 384),
                 pseudo_label_cfg=dict(mode='saliency'))
        ]

    Args:
        priority (int | str): Hook priority. Defaults to 'VERY_LOW' (after the checkpoint hook's
            ``after_train``).
        **settings: The arguments of :class:`PseudoLabelLoop` but its runner: ``dataset``
            (required), ``out_dir`` (default 'pseudo_labels', relative to the work dir),
            ``maps_dir``, ``labels_dir``, ``save_maps``, ``save_labels``, ``scales`` (default
            (256, 320, 384)), ``flip``, ``pseudo_label_cfg`` (default ``dict(mode='saliency')``),
            ``batch_size`` (default 8), ``num_workers``, ``precision`` (default 'auto'),
            ``channels_last``, ``labels_from_raw_maps``, ``evaluate``, ``map_bg_thr``,
            ``sweep_thresholds``, ``map_metric_prefix``, ``label_metric_prefix``.
    """

    priority = 'VERY_LOW'

    def __init__(self, priority: Union[int, str, None] = None, **settings) -> None:
        if priority is not None:
            self.priority = priority
        self.settings = dict(type='PseudoLabelLoop', **settings)
        self._build(runner=None)  # fail on bad arguments at build time, before the dataset

    def _build(self, runner):
        return LOOPS.build(self.settings, default_args=dict(runner=runner))

    def before_run(self, runner) -> None:
        """Check outputs, dataset and saliency maps before training starts."""
        self.loop = self._build(runner)
        self.loop.prepare()

    def after_train(self, runner) -> None:
        """Generate the missing maps and labels with the trained model, then score them."""
        metrics = self.loop.run()
        if not metrics:
            return
        table = PrettyTable(field_names=['metric', 'value'])
        for key in sorted(metrics):
            table.add_row([key, f'{metrics[key]:.4f}'])
            runner.message_hub.update_scalar(key, metrics[key])
        runner.logger.info(f'PseudoLabelHook: scores of {self.loop.out_dir}:\n{table.get_string()}')
        runner.visualizer.add_scalars(metrics, step=runner.iter)
