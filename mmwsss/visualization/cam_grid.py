# Copyright (c) mmwsss contributors. All rights reserved.
"""A picture grid of localization maps: per image a row of (image, heat map(s), label, GT).

Label overlays (pseudo labels, predictions, ground truth) are drawn by MMSeg's
``SegLocalVisualizer`` with the dataset's palette, so they look as MMSeg's own test-time
pictures; ignored pixels (255) are painted in VOC's ignore colour. Heat maps are the maps' values
on a fixed [0, 1] jet scale blended over the image, so two pictures can be compared.
"""

import uuid
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

__all__ = ['CamGridRow', 'row_from_prediction', 'render_grid', 'grid_size']

_FILE = 'mmwsss/visualization/cam_grid.py'
IGNORE_INDEX = 255
IGNORE_COLOUR = (224, 224, 192)  # VOC's colour of ignored pixels
GAP = 2  # white pixels between cells


@dataclass
class CamGridRow:
    """What one row of the grid shows, all at the original image size (H, W).

    Attributes:
        img_id (str): Image id.
        image (np.ndarray): RGB uint8 (H, W, 3).
        maps (np.ndarray): float32 (n, H, W) in [0, 1], the maps of the image's classes.
        map_classes (list[int]): Their class indices (1..C-1), length n.
        label (np.ndarray): int64 (H, W) class indices, 255 ignore.
        label_title (str): ``'pseudo label'`` or ``'prediction'``.
        gt (np.ndarray, optional): int64 (H, W) ground truth, or None.
    """

    img_id: str
    image: np.ndarray
    maps: np.ndarray
    map_classes: List[int]
    label: np.ndarray
    label_title: str
    gt: Optional[np.ndarray]


# --------------------------------------------------------------------------------------- one row
def _to_size(x: torch.Tensor, size: Tuple[int, int], mode: str) -> torch.Tensor:
    """Resize (C, h, w) to (C, H, W)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if mode == 'nearest':
        return F.interpolate(x[None].float(), size=size, mode='nearest')[0].to(x.dtype)
    return F.interpolate(x[None].float(), size=size, mode='bilinear', align_corners=False)[0]


def row_from_prediction(
    sample,
    image: np.ndarray,
    img_id: str,
    is_map_model: bool,
    classes: Optional[Sequence[int]] = None,
) -> CamGridRow:
    """A grid row from a model's ``predict`` output (e.g. of a validation loop).

    Args:
        sample (SegDataSample): A ``predict`` output with ``seg_logits`` (C, h, w) and
            ``pred_sem_seg``, optionally ``gt_sem_seg`` and ``gt_cls_label``.
        image (np.ndarray): The RGB uint8 (H, W, 3) image.
        img_id (str): Its id.
        is_map_model (bool): ``seg_logits[1:]`` are localization maps in [0, 1] (a map model's
            prediction) rather than logits (softmax scores are shown then).
        classes (Sequence[int], optional): The image's classes (1..C-1) where the sample has no
            ``gt_cls_label``.

    Returns:
        CamGridRow: The row, everything at the image's size; the maps are those of the image's
        classes (its image-level labels, else ``classes``, else the predicted classes).
    """
    size = image.shape[:2]
    logits = sample.seg_logits.data.detach().float().cpu()
    maps = logits[1:] if is_map_model else logits.softmax(dim=0)[1:]
    maps = _to_size(maps, size, 'bilinear')
    num_fg = maps.shape[0]
    if 'gt_cls_label' in sample:
        multi_hot = torch.as_tensor(sample.gt_cls_label).flatten()
        classes = [
            int(i) + 1 for i in torch.nonzero(multi_hot > 0.5).flatten().tolist() if int(i) < num_fg
        ]
    label = _to_size(sample.pred_sem_seg.data.cpu(), size, 'nearest')[0].long().numpy()
    if classes is None:
        classes = np.unique(label)
    classes = sorted(int(c) for c in classes if 0 < int(c) <= num_fg)
    maps_np = (
        maps[[c - 1 for c in classes]].clamp(0, 1).numpy()
        if classes
        else np.zeros((0,) + tuple(size), np.float32)
    )
    gt = None
    if 'gt_sem_seg' in sample:
        gt = _to_size(sample.gt_sem_seg.data.cpu(), size, 'nearest')[0].long().numpy()
    return CamGridRow(
        img_id, image, maps_np.astype(np.float32), list(classes), label, 'prediction', gt
    )


# --------------------------------------------------------------------------------------- drawing
def _title_height(cell_size: int) -> int:
    return max(12, cell_size // 8)


def grid_size(num_rows: int, num_cols: int, cell_size: int) -> Tuple[int, int]:
    """(height, width) in pixels of a grid: a title band, then rows of square cells.

    Cells and the title band are separated by :data:`GAP` white pixels, with a border of the
    same width.
    """
    height = GAP + _title_height(cell_size) + num_rows * (cell_size + GAP)
    width = GAP + num_cols * (cell_size + GAP)
    return height, width


def _fit(array: np.ndarray, cell_size: int, interpolation: int, fill) -> np.ndarray:
    """Resize keeping the aspect ratio into a square cell, padding with ``fill``."""
    h, w = array.shape[:2]
    scale = cell_size / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    resized = cv2.resize(array, (nw, nh), interpolation=interpolation)
    out = np.empty((cell_size, cell_size) + array.shape[2:], dtype=array.dtype)
    out[...] = fill
    top, left = (cell_size - nh) // 2, (cell_size - nw) // 2
    out[top : top + nh, left : left + nw] = resized
    return out


def _put_text(
    img: np.ndarray,
    text: str,
    org: Tuple[int, int],
    scale: float,
    max_width: Optional[int] = None,
    outline: bool = True,
) -> None:
    """Write text in place: white with a black outline, or black on a light background.

    The scale shrinks (down to 0.2) until the text fits ``max_width`` pixels.
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    if max_width is not None:
        while scale > 0.2 and cv2.getTextSize(text, font, scale, 1)[0][0] > max_width:
            scale *= 0.9
    if outline:
        cv2.putText(img, text, org, font, scale, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.putText(img, text, org, font, scale, (255, 255, 255), 1, cv2.LINE_AA)
    else:
        cv2.putText(img, text, org, font, scale, (0, 0, 0), 1, cv2.LINE_AA)


def _text_scale(cell_size: int) -> float:
    return float(np.clip(cell_size / 320, 0.25, 0.6))


def _heat_cell(
    image: np.ndarray, heat: np.ndarray, cell_size: int, alpha: float = 0.5
) -> np.ndarray:
    """Jet colouring of ``heat`` (H, W) in [0, 1] blended over the image cell."""
    heat_u8 = (np.clip(heat, 0, 1) * 255).round().astype(np.uint8)
    heat_cell = _fit(heat_u8, cell_size, cv2.INTER_LINEAR, 0)
    colour = cv2.cvtColor(cv2.applyColorMap(heat_cell, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return (image * (1 - alpha) + colour * alpha).round().astype(np.uint8)


def _label_cell(
    visualizer, image: np.ndarray, label: np.ndarray, cell_size: int, with_labels: bool
) -> np.ndarray:
    """Palette overlay of a label map (H, W) on the image cell by SegLocalVisualizer."""
    from mmseg.structures import SegDataSample

    label_cell = _fit(label.astype(np.int64), cell_size, cv2.INTER_NEAREST, IGNORE_INDEX)
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(label_cell)[None])
    visualizer.add_datasample(
        'label', image, sample, draw_gt=True, draw_pred=False, show=False, with_labels=with_labels
    )
    drawn = visualizer.get_image().copy()
    drawn[label_cell == IGNORE_INDEX] = IGNORE_COLOUR
    return drawn


def render_grid(
    rows: Sequence[CamGridRow],
    classes: Sequence[str],
    palette: Sequence[Sequence[int]],
    per_class: bool = False,
    cell_size: int = 128,
    with_labels: bool = False,
    alpha: float = 0.7,
) -> np.ndarray:
    """Draw the grid: per row the image, the heat map(s), the label and the GT.

    Args:
        rows (Sequence[CamGridRow]): From :func:`collect_row`.
        classes (Sequence[str]): Dataset classes, background first.
        palette (Sequence[Sequence[int]]): One RGB colour per class.
        per_class (bool): One heat map per class of the image instead of their maximum.
        cell_size (int): Side of a square cell in pixels. Defaults to 128.
        with_labels (bool): Write class names on the label overlays (MMSeg's option).
        alpha (float): Opacity of the label overlays. Defaults to 0.7.

    Returns:
        np.ndarray: RGB uint8 of shape :func:`grid_size` (rows, columns, cell_size), with
        columns = 3 + (the largest number of classes of an image if ``per_class`` else 1).
    """
    from mmseg.visualization import SegLocalVisualizer

    if not rows:
        raise ValueError(f'{_FILE}: no rows to draw')
    if cell_size < 16:
        raise ValueError(f'{_FILE}: cell_size must be >= 16, got {cell_size}')
    if len(palette) < len(classes):
        raise ValueError(f'{_FILE}: {len(palette)} palette colours for {len(classes)} classes')
    n_maps = max(1, max(len(r.map_classes) for r in rows)) if per_class else 1
    num_cols = 3 + n_maps
    height, width = grid_size(len(rows), num_cols, cell_size)
    canvas = np.full((height, width, 3), 255, np.uint8)
    title_h = _title_height(cell_size)
    scale = _text_scale(cell_size)

    visualizer = SegLocalVisualizer(name=f'mmwsss_cam_grid_{uuid.uuid4().hex}', alpha=alpha)
    # set after construction: SegLocalVisualizer.__init__ of MMSeg 1.2.2 swaps classes/palette
    visualizer.set_dataset_meta(classes=list(classes), palette=[list(c) for c in palette])

    label_titles = sorted({r.label_title for r in rows})
    titles = (
        ['image', 'map per class' if per_class else 'map (max of classes)']
        + [''] * (n_maps - 1)
        + [' / '.join(label_titles), 'ground truth']
    )
    for col, title in enumerate(titles):
        if title:
            x = GAP + col * (cell_size + GAP) + 2
            _put_text(
                canvas,
                title,
                (x, GAP + title_h - max(3, title_h // 4)),
                scale,
                max_width=cell_size - 4,
                outline=False,
            )

    def name_of(c: int) -> str:
        return str(classes[c]) if 0 <= c < len(classes) else str(c)

    for r, row in enumerate(rows):
        y = GAP + title_h + GAP + r * (cell_size + GAP)
        image = _fit(row.image, cell_size, cv2.INTER_LINEAR, 255)
        cells = [image.copy()]
        _put_text(cells[0], row.img_id, (2, cell_size - 4), scale, cell_size - 4)
        if per_class:
            for k in range(n_maps):
                if k < len(row.map_classes):
                    cell = _heat_cell(image, row.maps[k], cell_size)
                    _put_text(
                        cell,
                        name_of(row.map_classes[k]),
                        (2, 4 + int(22 * scale)),
                        scale,
                        cell_size - 4,
                    )
                else:
                    cell = np.full_like(image, 255)
                cells.append(cell)
        else:
            heat = row.maps.max(axis=0) if len(row.maps) else np.zeros(row.image.shape[:2])
            cell = _heat_cell(image, heat, cell_size)
            text = ', '.join(name_of(c) for c in row.map_classes) or 'no class'
            _put_text(cell, text, (2, 4 + int(22 * scale)), scale, cell_size - 4)
            cells.append(cell)
        cells.append(_label_cell(visualizer, image, row.label, cell_size, with_labels))
        if row.gt is not None:
            cells.append(_label_cell(visualizer, image, row.gt, cell_size, with_labels))
        else:
            cell = np.full_like(image, 255)
            _put_text(cell, 'no GT', (2, cell_size // 2), scale, cell_size - 4, outline=False)
            cells.append(cell)
        for col, cell in enumerate(cells):
            x = GAP + col * (cell_size + GAP)
            canvas[y : y + cell_size, x : x + cell_size] = cell
    return canvas
