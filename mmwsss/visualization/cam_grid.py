# Copyright (c) mmwsss contributors. All rights reserved.
"""A picture grid of localization maps: per image a row of (image, heat map(s), label, GT).

Label overlays (pseudo labels, predictions, ground truth) are drawn by MMSeg's
``SegLocalVisualizer`` with the dataset's palette, so they look as MMSeg's own test-time
pictures; ignored pixels (255) are painted in VOC's ignore colour. Heat maps are the maps' values
on a fixed [0, 1] jet scale blended over the image, so two pictures can be compared.
"""
import copy
import os
import os.path as osp
import uuid
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from PIL import Image

__all__ = [
    'CamGridRow', 'build_vis_model', 'build_vis_dataset', 'select_indices', 'collect_row',
    'row_from_prediction', 'render_grid', 'grid_size', 'make_cam_grid'
]

_FILE = 'mmwsss/visualization/cam_grid.py'
IGNORE_INDEX = 255
IGNORE_COLOUR = (224, 224, 192)  # VOC's colour of ignored pixels
GAP = 2  # white pixels between cells
_DATASET_WRAPPERS = ('RepeatDataset', 'ClassBalancedDataset', 'mmengine.RepeatDataset',
                     'mmengine.ClassBalancedDataset')


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


# --------------------------------------------------------------------------------------- building
def build_vis_model(cfg: Config, checkpoint: str, device: str = 'cpu') -> torch.nn.Module:
    """Build the config's model and load a checkpoint into it (strictly), in eval mode.

    Args:
        cfg (Config): The loaded config (``custom_imports`` are imported, SyncBN becomes BN off
            CUDA).
        checkpoint (str): Checkpoint file (``state_dict`` key or a bare state dict).
        device (str): Device. Defaults to ``'cpu'``.

    Returns:
        torch.nn.Module: The model.

    Raises:
        FileNotFoundError: No such checkpoint.
        RuntimeError: The checkpoint does not fit the model (the message names both files).
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmengine.utils import import_modules_from_strings

    import mmwsss  # noqa: F401  (registers everything)
    from mmwsss.registry import MODELS
    from mmwsss.utils import revert_sync_bn_cfg

    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    if not str(device).startswith('cuda'):
        revert_sync_bn_cfg(model_cfg)
    model = MODELS.build(model_cfg)
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'{_FILE}: checkpoint {checkpoint} does not exist')
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    except (RuntimeError, KeyError) as e:
        raise RuntimeError(f'{_FILE}: checkpoint {checkpoint} does not fit the model of the '
                           f'config: {str(e).strip()[:500]}') from e
    return model.to(device).eval()


def build_vis_dataset(cfg: Config, split: str = 'test'):
    """Build the dataset of ``<split>_dataloader``.

    For ``split='train'`` the training set is read with the test pipeline (deterministic, and
    with the ground truth of the test pipeline), and dataset wrappers are unwrapped.

    Args:
        cfg (Config): The loaded config.
        split (str): ``'test'``, ``'val'`` or ``'train'``.

    Returns:
        BaseSegDataset: The dataset.
    """
    from mmengine.registry import init_default_scope

    import mmwsss  # noqa: F401
    from mmwsss.registry import DATASETS

    if split not in ('test', 'val', 'train'):
        raise ValueError(f"{_FILE}: split must be 'test', 'val' or 'train', got {split!r}")
    key = f'{split}_dataloader'
    if not cfg.get(key) or 'dataset' not in cfg[key]:
        raise KeyError(f'{_FILE}: the config has no {key}.dataset')
    ds_cfg = copy.deepcopy(cfg[key]['dataset'])
    if split == 'train':
        while ds_cfg.get('type') in _DATASET_WRAPPERS and 'dataset' in ds_cfg:
            ds_cfg = ds_cfg['dataset']
        test_loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
        pipeline = test_loader.get('dataset', {}).get('pipeline') or cfg.get('test_pipeline')
        if pipeline is None:
            raise KeyError(f'{_FILE}: split train needs a test pipeline (test_dataloader.dataset'
                           '.pipeline or test_pipeline) to read the training images with')
        ds_cfg['pipeline'] = copy.deepcopy(pipeline)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return DATASETS.build(ds_cfg)


def _img_id(info: dict) -> str:
    return info.get('img_id') or osp.splitext(osp.basename(info['img_path']))[0]


def select_indices(dataset, img_ids: Optional[Sequence[str]] = None, num: int = 4) -> List[int]:
    """Dataset indices of the chosen images: by id, else the first ``num``.

    Raises:
        KeyError: Some ids are not in the dataset (they are named).
    """
    if img_ids:
        index = {_img_id(dataset.get_data_info(i)): i for i in range(len(dataset))}
        missing = [i for i in img_ids if i not in index]
        if missing:
            raise KeyError(f'{_FILE}: image ids not in the dataset: {missing[:10]}'
                           f'{" ..." if len(missing) > 10 else ""}')
        return [index[i] for i in img_ids]
    if num < 1:
        raise ValueError(f'{_FILE}: num must be >= 1, got {num}')
    return list(range(min(num, len(dataset))))


# --------------------------------------------------------------------------------------- one row
def _read_label_png(path: str, size: Tuple[int, int], what: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{_FILE}: {what} {path} does not exist')
    with Image.open(path) as img:
        label = np.array(img)
    if label.ndim != 2:
        raise ValueError(f'{_FILE}: {what} {path} is not a single-channel (palette or grey) PNG')
    if label.shape != tuple(size):
        raise ValueError(f'{_FILE}: {what} {path} is {label.shape[1]}x{label.shape[0]}, the image '
                         f'{size[1]}x{size[0]}')
    return label.astype(np.int64)


def _to_size(x: torch.Tensor, size: Tuple[int, int], mode: str) -> torch.Tensor:
    """Resize (C, h, w) to (C, H, W)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if mode == 'nearest':
        return F.interpolate(x[None].float(), size=size, mode='nearest')[0].to(x.dtype)
    return F.interpolate(x[None].float(), size=size, mode='bilinear', align_corners=False)[0]


def _image_classes(sample, info: dict, num_fg: int) -> Optional[List[int]]:
    """Foreground class indices from the image-level labels (None if there are none)."""
    if 'gt_cls_label' in sample:
        multi_hot = torch.as_tensor(sample.gt_cls_label).flatten()
        return [int(i) + 1 for i in torch.nonzero(multi_hot > 0.5).flatten().tolist()
                if int(i) < num_fg]
    if info.get('cls_labels') is not None:
        return sorted(int(c) for c in info['cls_labels'] if 0 < int(c) <= num_fg)
    return None


@torch.no_grad()
def collect_row(model: torch.nn.Module,
                dataset,
                index: int,
                pseudo_label_dir: Optional[str] = None) -> CamGridRow:
    """Run the model on one image of the dataset and gather what its grid row shows.

    A map model (one with ``localization_maps``, see the map-model API) gives the maps of the
    image's classes directly (unmasked, at the original size); any other segmentor gives the
    softmax scores of its ``seg_logits`` as maps. The label is the PNG ``<img_id>.png`` of
    ``pseudo_label_dir`` if given, else the predicted ``pred_sem_seg``. The image's classes are
    its image-level labels, else the predicted ones.

    Args:
        model (torch.nn.Module): A segmentor in eval mode.
        dataset (BaseSegDataset): Dataset with a test pipeline.
        index (int): Dataset index.
        pseudo_label_dir (str, optional): Folder of pseudo-label PNGs.

    Returns:
        CamGridRow: The row.
    """
    info = dataset.get_data_info(index)
    img_id = _img_id(info)
    image = np.array(Image.open(info['img_path']).convert('RGB'))
    size = image.shape[:2]

    data = model.data_preprocessor(pseudo_collate([dataset[index]]), False)
    inputs, samples = data['inputs'], data['data_samples']
    is_map_model = hasattr(model, 'localization_maps')
    if is_map_model and pseudo_label_dir is not None:
        sample = samples[0]  # the maps come from localization_maps, the label from the folder
    else:
        sample = model.predict(inputs, samples)[0]

    if is_map_model:
        meta = sample.metainfo
        left, right, top, bottom = meta.get('padding_size',
                                            meta.get('img_padding_size', (0, 0, 0, 0)))
        height, width = inputs.shape[-2:]
        img = inputs[:, :, top:height - bottom, left:width - right]
        maps, scores = model.localization_maps(img, out_size=size)
        maps, scores = maps[0], scores[0]
        if meta.get('flip', False):
            maps = maps.flip(-1)
    else:
        logits = sample.seg_logits.data
        maps = _to_size(logits.softmax(dim=0)[1:], size, 'bilinear')
        scores = None
    num_fg = maps.shape[0]

    classes = _image_classes(sample, info, num_fg)
    if classes is None:
        if scores is not None:
            classes = [int(i) + 1 for i in torch.nonzero(scores > 0.5).flatten().tolist()]
        else:
            pred = sample.pred_sem_seg.data.unique().tolist()
            classes = sorted(int(c) for c in pred if 0 < c <= num_fg)
    maps_np = maps[[c - 1 for c in classes]].float().clamp(0, 1).cpu().numpy() if classes \
        else np.zeros((0, ) + tuple(size), np.float32)

    if pseudo_label_dir is not None:
        label = _read_label_png(osp.join(pseudo_label_dir, img_id + '.png'), size, 'pseudo label')
        label_title = 'pseudo label'
    else:
        label = _to_size(sample.pred_sem_seg.data, size, 'nearest')[0].long().cpu().numpy()
        label_title = 'prediction'

    gt = None
    if 'gt_sem_seg' in sample:
        gt = _to_size(sample.gt_sem_seg.data, size, 'nearest')[0].long().cpu().numpy()
    elif info.get('seg_map_path') and osp.isfile(info['seg_map_path']):
        gt = _read_label_png(info['seg_map_path'], size, 'ground-truth mask')
    return CamGridRow(img_id, image, maps_np.astype(np.float32), list(classes), label,
                      label_title, gt)


def row_from_prediction(sample, image: np.ndarray, img_id: str,
                        is_map_model: bool) -> CamGridRow:
    """A grid row from a prediction the model already made (e.g. in a validation loop).

    Args:
        sample (SegDataSample): A ``predict`` output with ``seg_logits`` (C, h, w) and
            ``pred_sem_seg``, optionally ``gt_sem_seg`` and ``gt_cls_label``.
        image (np.ndarray): The RGB uint8 (H, W, 3) image.
        img_id (str): Its id.
        is_map_model (bool): ``seg_logits[1:]`` are localization maps in [0, 1] (a map model's
            prediction) rather than logits (softmax scores are shown then).

    Returns:
        CamGridRow: The row, everything at the image's size; the maps are those of the image's
        classes (its image-level labels, else the predicted classes).
    """
    size = image.shape[:2]
    logits = sample.seg_logits.data.detach().float().cpu()
    maps = logits[1:] if is_map_model else logits.softmax(dim=0)[1:]
    maps = _to_size(maps, size, 'bilinear')
    num_fg = maps.shape[0]
    classes = _image_classes(sample, {}, num_fg)
    label = _to_size(sample.pred_sem_seg.data.cpu(), size, 'nearest')[0].long().numpy()
    if classes is None:
        classes = sorted(int(c) for c in np.unique(label) if 0 < c <= num_fg)
    maps_np = maps[[c - 1 for c in classes]].clamp(0, 1).numpy() if classes \
        else np.zeros((0, ) + tuple(size), np.float32)
    gt = None
    if 'gt_sem_seg' in sample:
        gt = _to_size(sample.gt_sem_seg.data.cpu(), size, 'nearest')[0].long().numpy()
    return CamGridRow(img_id, image, maps_np.astype(np.float32), list(classes), label,
                      'prediction', gt)


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
    out[top:top + nh, left:left + nw] = resized
    return out


def _put_text(img: np.ndarray, text: str, org: Tuple[int, int], scale: float,
              max_width: Optional[int] = None, outline: bool = True) -> None:
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


def _heat_cell(image: np.ndarray, heat: np.ndarray, cell_size: int,
               alpha: float = 0.5) -> np.ndarray:
    """Jet colouring of ``heat`` (H, W) in [0, 1] blended over the image cell."""
    heat_u8 = (np.clip(heat, 0, 1) * 255).round().astype(np.uint8)
    heat_cell = _fit(heat_u8, cell_size, cv2.INTER_LINEAR, 0)
    colour = cv2.cvtColor(cv2.applyColorMap(heat_cell, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return (image * (1 - alpha) + colour * alpha).round().astype(np.uint8)


def _label_cell(visualizer, image: np.ndarray, label: np.ndarray, cell_size: int,
                with_labels: bool) -> np.ndarray:
    """Palette overlay of a label map (H, W) on the image cell by SegLocalVisualizer."""
    from mmseg.structures import SegDataSample

    label_cell = _fit(label.astype(np.int64), cell_size, cv2.INTER_NEAREST, IGNORE_INDEX)
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(label_cell)[None])
    visualizer.add_datasample(
        'label', image, sample, draw_gt=True, draw_pred=False, show=False,
        with_labels=with_labels)
    drawn = visualizer.get_image().copy()
    drawn[label_cell == IGNORE_INDEX] = IGNORE_COLOUR
    return drawn


def render_grid(rows: Sequence[CamGridRow],
                classes: Sequence[str],
                palette: Sequence[Sequence[int]],
                per_class: bool = False,
                cell_size: int = 128,
                with_labels: bool = False,
                alpha: float = 0.7) -> np.ndarray:
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
    titles = ['image', 'map per class' if per_class else 'map (max of classes)'] + \
        [''] * (n_maps - 1) + [' / '.join(label_titles), 'ground truth']
    for col, title in enumerate(titles):
        if title:
            x = GAP + col * (cell_size + GAP) + 2
            _put_text(canvas, title, (x, GAP + title_h - max(3, title_h // 4)), scale,
                      max_width=cell_size - 4, outline=False)

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
                    _put_text(cell, name_of(row.map_classes[k]), (2, 4 + int(22 * scale)), scale,
                              cell_size - 4)
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
            canvas[y:y + cell_size, x:x + cell_size] = cell
    return canvas


def make_cam_grid(model: torch.nn.Module,
                  dataset,
                  out_file: Optional[str] = None,
                  img_ids: Optional[Sequence[str]] = None,
                  num: int = 4,
                  pseudo_label_dir: Optional[str] = None,
                  per_class: bool = False,
                  cell_size: int = 128,
                  with_labels: bool = False) -> np.ndarray:
    """Collect the chosen images' rows, draw the grid and optionally save it as a PNG.

    Args:
        model (torch.nn.Module): A segmentor in eval mode (a map model or any MMSeg one).
        dataset (BaseSegDataset): The dataset (test pipeline).
        out_file (str, optional): PNG to write (folders are created).
        img_ids (Sequence[str], optional): Images by id; default the first ``num``.
        num (int): Number of images when no ids are given. Defaults to 4.
        pseudo_label_dir (str, optional): Pseudo-label PNGs to show instead of predictions.
        per_class (bool): One heat map per class. Defaults to False.
        cell_size (int): Cell side in pixels. Defaults to 128.
        with_labels (bool): Class names on the label overlays. Defaults to False.

    Returns:
        np.ndarray: The RGB grid, see :func:`render_grid`.
    """
    from mmwsss.datasets.palette import voc_colormap

    indices = select_indices(dataset, img_ids, num)
    rows = [collect_row(model, dataset, i, pseudo_label_dir) for i in indices]
    classes = list(dataset.metainfo['classes'])
    palette = dataset.metainfo.get('palette') or voc_colormap(len(classes))
    grid = render_grid(rows, classes, palette, per_class, cell_size, with_labels)
    if out_file:
        folder = osp.dirname(osp.abspath(out_file))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(grid).save(out_file)
    return grid
