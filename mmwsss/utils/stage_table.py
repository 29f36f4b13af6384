# Copyright (c) mmwsss contributors. All rights reserved.
"""The per-stage table a pipeline run prints (one row per result record)."""
from typing import Any, Dict, List

__all__ = ['format_stage_table']

_KIND_TITLES = {
    'pretrain': 'pretraining (ImageNet stand-in)',
    'localization': 'localization maps',
    'refined': 'refined maps',
    'pseudo_label': 'pseudo labels',
    'segmentation': 'final segmentation',
    'supervised': 'fully supervised upper bound',
}


def _fmt(value: Any, digits: int = 2) -> str:
    return f'{value:.{digits}f}' if isinstance(value, (int, float)) else '-'


def _count(value: Any) -> str:
    return f'{value:,}' if isinstance(value, int) else '-'


def format_stage_table(summary: Dict[str, Any]) -> str:
    """Markdown table of a ``pipeline_results.json`` object.

    Args:
        summary (dict): With ``pipeline``, ``method`` and ``stages`` (result records).

    Returns:
        str: A title line and a markdown table (stage, output, split, mIoU, params, train time).
    """
    lines: List[str] = [
        f"{summary.get('method', '')} ({summary.get('pipeline', '')}, {summary.get('dataset', '')}, "
        f"seed {summary.get('seed')})", '',
        '| stage | output | split | mIoU | parameters | training time (s) |',
        '| --- | --- | --- | --- | --- | --- |']
    for record in summary.get('stages', []):
        metrics = record.get('metrics') or {}
        miou = metrics.get('mIoU')
        if record.get('kind') == 'pretrain':
            miou = None
        lines.append(
            f"| {record.get('stage')} | {_KIND_TITLES.get(record.get('kind'), record.get('kind'))} | "
            f"{record.get('split', '-')} | {_fmt(miou)} | {_count(record.get('params'))} | "
            f"{_fmt(record.get('train_time_s'), 0)} |")
    return '\n'.join(lines)
