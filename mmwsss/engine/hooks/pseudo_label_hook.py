# Copyright (c) mmwsss contributors. All rights reserved.
"""Write localization maps and pseudo labels with the trained model at the end of a training stage."""
import os.path as osp
from typing import Optional, Sequence, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from prettytable import PrettyTable

from mmwsss.apis import PseudoLabelGenerator
from mmwsss.registry import HOOKS

__all__ = ['PseudoLabelHook']


# A plain MMEngine Hook: generation is a one-off after training, not a loop of its own.
@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """Run :class:`mmwsss.apis.PseudoLabelGenerator` with the trained model after training.

    ``before_run`` checks, before any training, that the output folder is writable, that the dataset
    loads with image-level labels and, in 'saliency' mode, that every saliency map exists.
    ``after_train`` (which MMEngine also calls when a finished stage is resumed) generates the files
    still missing (under DDP each rank its shard of the images; the model is unwrapped from its DDP
    wrapper), then scores them against the GT masks where the dataset has them. The metrics go to
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
        dataset (dict): Dataset config with its own (deterministic) pipeline; see
            :class:`PseudoLabelGenerator`.
        out_dir (str): Output folder; a relative one is resolved against ``runner.work_dir``.
            Defaults to 'pseudo_labels'.
        priority (int | str): Hook priority. Defaults to 'VERY_LOW' (after the checkpoint hook's
            ``after_train``).
        **kwargs: The other arguments of :class:`PseudoLabelGenerator`: ``maps_dir``, ``labels_dir``,
            ``save_maps``, ``save_labels``, ``scales`` (default (256, 320, 384)), ``flip`` (default
            False), ``pseudo_label_cfg`` (default ``dict(mode='saliency')``), ``batch_size`` (default 8),
            ``num_workers``, ``precision`` (default 'auto': bf16 on a CPU with native bf16, fp16 on
            CUDA), ``channels_last`` (default 'auto'), ``labels_from_raw_maps``, ``evaluate``, ``map_bg_thr``, ``sweep_thresholds``,
            ``map_metric_prefix``, ``label_metric_prefix``.
    """
    priority = 'VERY_LOW'

    def __init__(self,
                 dataset: dict,
                 out_dir: str = 'pseudo_labels',
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
                 priority: Union[int, str, None] = None) -> None:
        if priority is not None:
            self.priority = priority
        self.out_dir = out_dir
        self.generator_kwargs = dict(
            dataset=dataset, maps_dir=maps_dir, labels_dir=labels_dir, save_maps=save_maps,
            save_labels=save_labels, scales=scales, flip=flip, pseudo_label_cfg=pseudo_label_cfg,
            batch_size=batch_size, num_workers=num_workers, precision=precision,
            channels_last=channels_last, labels_from_raw_maps=labels_from_raw_maps,
            evaluate=evaluate,
            map_bg_thr=map_bg_thr, sweep_thresholds=sweep_thresholds,
            map_metric_prefix=map_metric_prefix, label_metric_prefix=label_metric_prefix)
        # fail on bad arguments at build time, before the dataset is touched
        self.generator = PseudoLabelGenerator(out_dir=out_dir, name='PseudoLabelHook',
                                              **self.generator_kwargs)

    def _resolve(self, runner) -> PseudoLabelGenerator:
        out_dir = self.out_dir
        if not osp.isabs(out_dir):
            out_dir = osp.join(runner.work_dir, out_dir)
        if self.generator.out_dir != osp.abspath(out_dir):
            self.generator = PseudoLabelGenerator(out_dir=out_dir, name='PseudoLabelHook',
                                                  **self.generator_kwargs)
        return self.generator

    def before_run(self, runner) -> None:
        """Check outputs, dataset and saliency maps before training starts."""
        self._resolve(runner).prepare()

    def after_train(self, runner) -> None:
        """Generate the missing maps and labels with the trained model, then score them."""
        generator = self._resolve(runner)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        metrics = generator.run(model, logger=runner.logger)
        if not metrics:
            return
        table = PrettyTable(field_names=['metric', 'value'])
        for key in sorted(metrics):
            table.add_row([key, f'{metrics[key]:.4f}'])
            runner.message_hub.update_scalar(key, metrics[key])
        runner.logger.info(f'PseudoLabelHook: scores of {generator.out_dir}:\n{table.get_string()}')
        runner.visualizer.add_scalars(metrics, step=runner.iter)
