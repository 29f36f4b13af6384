# Copyright (c) mmwsss contributors. All rights reserved.
"""The embedded synthetic WSSS benchmark: a procedural dataset in the PASCAL VOC layout.

Each object class is a large, weakly class-specific **body** carrying a small **discriminative
part** (a striped patch in the class colour, about 10-15% of the object) that alone tells the class.
A classifier trained on image-level labels therefore lights the part, while the ground truth covers
the whole object: the sparse-activation problem WSSS methods address. Images hold one to three
objects (occlusion allowed) over a cluttered background with body-like decoys; saliency maps are
imperfect on purpose (boundary noise, missed object regions, false alarms on decoys).

A second task, ``task='pretrain'``, writes a separate multi-label classification set (ten shape
classes: ring, cross, star, ...; random colours and textures, no part/body split) in the same
layout: a stand-in for ImageNet pretraining of the backbone.

Written layout (``out_dir``)::

    JPEGImages/<id>.png          RGB images (lossless PNG in VOC's folder name, see meta.json)
    SegmentationClass/<id>.png   palette PNGs, 0 background, 1..K the object classes (whole objects)
    SaliencyMap/<id>.png         8-bit grayscale, 0-255
    PartMask/<id>.png            class index on discriminative-part pixels only (WSSS task; for
                                 evaluation: part / body recall)
    ImageSets/Segmentation/{train,val}.txt
    cls_labels.txt               <id> <class index> ... for every image of both splits
    meta.json                    classes, palette, suffixes, generator arguments, statistics

Everything is a function of the arguments: the same arguments give byte-identical files. Only numpy,
OpenCV and Pillow are used.
"""

import json
import math
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from .cls_label_file import write_cls_label_file
from .palette import voc_colormap

FORMAT_VERSION = 2
#: Share of PASCAL VOC 2012 train_aug images showing 1, 2, 3 and 4 or more classes (counted in the
#: official DRS list ``VOC2012_list/train_aug_cls.txt``).
VOC_CLASS_COUNTS = (0.637, 0.273, 0.073, 0.016)
COOCCURRENCE = ('uniform', 'voc')
#: The embedded benchmark as `make demo` and the leaderboard write it
#: (``generate_synthetic_benchmark`` arguments besides ``out_dir`` and ``seed``), and its
#: pretraining set (the ImageNet stand-in).
SYNTHETIC_BENCHMARK = dict(
    num_train=400,
    num_val=100,
    num_object_classes=4,
    image_size=256,
    difficulty='medium',
    max_objects=4,
    cooccurrence='voc',
    params=dict(body_size=(0.32, 0.42), body_aspect=(0.35, 0.55), part_offset=(0.45, 0.65)),
)
SYNTHETIC_PRETRAIN = dict(
    num_train=800,
    num_val=200,
    num_object_classes=8,
    image_size=128,
    difficulty='medium',
    max_objects=3,
)
#: the pretraining set's seed is the benchmark's plus this (so the two sets never share images)
PRETRAIN_SEED_OFFSET = 101
DIFFICULTY_PRESETS = {'easy': 0.2, 'medium': 0.5, 'hard': 0.8}
BODY_SHAPES = ('ellipse', 'rounded_rect', 'blob', 'egg')
PRETRAIN_SHAPES = (
    'ring',
    'cross',
    'triangle',
    'star',
    'crescent',
    'diamond',
    'hexagon',
    'arrow',
    'tee',
    'ell',
)
HUE_NAMES = (
    (0, 'red'),
    (30, 'orange'),
    (55, 'yellow'),
    (90, 'lime'),
    (120, 'green'),
    (160, 'teal'),
    (185, 'cyan'),
    (215, 'azure'),
    (240, 'blue'),
    (275, 'violet'),
    (300, 'magenta'),
    (330, 'pink'),
    (360, 'red'),
)
FOLDERS = dict(img_path='JPEGImages', seg_map_path='SegmentationClass', sal_path='SaliencyMap')
PART_FOLDER = 'PartMask'
SPLIT_CODES = {'train': 0, 'val': 1}
TASK_CODES = {'wsss': 0, 'pretrain': 1}


# --------------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class DifficultyParams:
    """Generator knobs derived from one difficulty number in [0, 1].

    Attributes:
        clutter (int): Background clutter strokes and shapes per image.
        decoys (float): Expected body-like decoys (no part) per image.
        body_tint (float): How far a body's colour is pulled towards its class colour.
        body_shape_bias (float): Probability that a body takes its class's preferred shape.
        part_frac (tuple[float, float]): Range of the part's share of the object area.
        max_occlusion (float): Largest hidden share of an object.
        noise_sigma (float): Std of the pixel noise (0-255 scale).
        sal_boundary_px (float): Amplitude of the saliency boundary noise, pixels.
        sal_miss (float): Probability that a part of an object is missing from the saliency map.
        sal_miss_whole (float): Probability that a whole object is missing from it.
        sal_false_alarm (float): Probability of a false salient region per image.
        body_size (tuple[float, float]): Range of a body's semi-major axis, as a share of the
            image side (one object; more objects are drawn smaller).
        body_aspect (tuple[float, float]): Range of a body's minor / major axis ratio.
        part_offset (tuple[float, float], optional): Where the part sits: None anywhere inside
            the body; a range of distances from the body's centre along its major axis, as a
            share of the semi-major axis, towards a random end (a head at the end of a body).
    """

    clutter: int
    decoys: float
    body_tint: float
    body_shape_bias: float
    part_frac: Tuple[float, float]
    max_occlusion: float
    noise_sigma: float
    sal_boundary_px: float
    sal_miss: float
    sal_miss_whole: float
    sal_false_alarm: float
    body_size: Tuple[float, float] = (0.24, 0.33)
    body_aspect: Tuple[float, float] = (0.6, 0.9)
    part_offset: Optional[Tuple[float, float]] = None


def resolve_difficulty(difficulty: Union[str, float]) -> float:
    """Map ``'easy'``/``'medium'``/``'hard'`` or a number to a float in [0, 1]."""
    if isinstance(difficulty, str):
        key = difficulty.strip().lower()
        if key in DIFFICULTY_PRESETS:
            return DIFFICULTY_PRESETS[key]
        try:
            difficulty = float(key)
        except ValueError:
            raise ValueError(
                f'difficulty must be one of {sorted(DIFFICULTY_PRESETS)} or a number in '
                f'[0, 1], got {difficulty!r}'
            ) from None
    d = float(difficulty)
    if not 0.0 <= d <= 1.0:
        raise ValueError(f'difficulty must lie in [0, 1], got {d}')
    return d


def difficulty_params(
    difficulty: Union[str, float], overrides: Optional[Dict[str, object]] = None
) -> DifficultyParams:
    """The generator knobs for a difficulty (see :class:`DifficultyParams`).

    Args:
        difficulty (str | float): ``'easy'``, ``'medium'``, ``'hard'`` or a number in [0, 1].
        overrides (dict, optional): Knobs to set instead of the difficulty's values, e.g.
            ``dict(body_tint=0.05)``.

    Returns:
        DifficultyParams: The knobs.
    """
    d = resolve_difficulty(difficulty)
    params = _difficulty_params(d)
    if overrides:
        unknown = sorted(set(overrides) - set(params.__dataclass_fields__))
        if unknown:
            raise ValueError(
                f'unknown generator parameters {unknown}; known: '
                f'{sorted(params.__dataclass_fields__)}'
            )
        values = asdict(params)
        for key, value in overrides.items():
            values[key] = tuple(value) if isinstance(value, (list, tuple)) else value
        params = DifficultyParams(**values)
        for key in ('body_size', 'body_aspect', 'part_offset', 'part_frac'):
            value = getattr(params, key)
            if value is not None and (len(value) != 2 or not 0 < value[0] <= value[1]):
                raise ValueError(
                    f'generator parameter {key} must be a (low, high) range of '
                    f'positive numbers, got {value!r}'
                )
    return params


def _difficulty_params(d: float) -> DifficultyParams:
    return DifficultyParams(
        clutter=int(round(4 + 10 * d)),
        decoys=0.3 + 1.0 * d,
        body_tint=0.14 - 0.08 * d,
        body_shape_bias=0.6 - 0.3 * d,
        part_frac=(0.10 - 0.03 * d, 0.13 - 0.03 * d),
        max_occlusion=0.15 + 0.25 * d,
        noise_sigma=3.0 + 6.0 * d,
        sal_boundary_px=0.8 + 2.2 * d,
        sal_miss=0.1 + 0.25 * d,
        sal_miss_whole=0.02 + 0.06 * d,
        sal_false_alarm=0.15 + 0.45 * d,
    )


# ------------------------------------------------------------------------------------------ classes
@dataclass(frozen=True)
class PartClass:
    """One benchmark class: a discriminative part on a weakly class-specific body.

    Attributes:
        name (str): Class name, e.g. ``'red1'``.
        colour (tuple[int, int, int]): Saturated RGB colour of the part (and the body's weak tint).
        stripe_angle (float): Orientation of the part's stripes, degrees.
        stripe_period (int): Stripe period, pixels.
        part_shape (str): ``'disk'`` or ``'square'``.
        body_shape (str): The body shape this class prefers (one of ``BODY_SHAPES``).
    """

    name: str
    colour: Tuple[int, int, int]
    stripe_angle: float
    stripe_period: int
    part_shape: str
    body_shape: str


def _hsv_to_rgb(h: float, s: float, v: float) -> Tuple[int, int, int]:
    """HSV (h in degrees, s and v in [0, 1]) to an RGB triple in 0..255."""
    h = (h % 360.0) / 60.0
    c = v * s
    x = c * (1 - abs(h % 2 - 1))
    m = v - c
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][int(h) % 6]
    return tuple(int(round(255 * (t + m))) for t in (r, g, b))


def _hue_name(hue: float) -> str:
    return min(HUE_NAMES, key=lambda hn: abs(hn[0] - hue % 360))[1]


def benchmark_classes(num_object_classes: int) -> List[PartClass]:
    """The benchmark's object classes; a function of their number only (not of the seed).

    Args:
        num_object_classes (int): Number of object classes K (background excluded), 2..12.

    Returns:
        list[PartClass]: K class definitions, hues evenly spaced around the colour wheel.
    """
    if not 2 <= num_object_classes <= 12:
        raise ValueError(
            f'num_object_classes must lie in 2..12 (distinct part colours), got '
            f'{num_object_classes}'
        )
    classes = []
    for i in range(num_object_classes):
        hue = 360.0 * i / num_object_classes
        classes.append(
            PartClass(
                name=f'{_hue_name(hue)}{i + 1}',
                colour=_hsv_to_rgb(hue, 0.9, 0.95),
                stripe_angle=(180.0 * i / num_object_classes) % 180.0,
                stripe_period=4 + (i % 2),
                part_shape=('disk', 'square')[i % 2],
                body_shape=BODY_SHAPES[i % len(BODY_SHAPES)],
            )
        )
    return classes


def pretrain_classes(num_object_classes: int) -> List[str]:
    """Class names of the pretraining set: the first ``num_object_classes`` shapes."""
    if not 2 <= num_object_classes <= len(PRETRAIN_SHAPES):
        raise ValueError(
            f'the pretraining set has 2..{len(PRETRAIN_SHAPES)} shape classes, got '
            f'{num_object_classes}'
        )
    return list(PRETRAIN_SHAPES[:num_object_classes])


# --------------------------------------------------------------------------------- drawing helpers
def _fill(polys: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Rasterise float polygons (each (N, 2), x/y) into a bool (size, size) mask (1/16 px)."""
    canvas = np.zeros((size, size), np.uint8)
    pts = [np.round(p * 16).astype(np.int32).reshape(-1, 1, 2) for p in polys]
    cv2.fillPoly(canvas, pts, 1, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return points @ np.array([[c, s], [-s, c]], dtype=np.float64)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """A smooth random field of shape (size, size), zero mean, unit std."""
    grid = rng.standard_normal((cells, cells)).astype(np.float32)
    field = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    field -= field.mean()
    return field / (field.std() + 1e-6)


def _body_outline(shape: str, a: float, b: float, rng: np.random.Generator) -> np.ndarray:
    """Outline of a body shape with semi-axes (a, b), centred at 0, unrotated; (N, 2)."""
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    if shape == 'ellipse':
        x, y = a * np.cos(t), b * np.sin(t)
    elif shape == 'rounded_rect':  # a superellipse of exponent 4
        ct, st = np.cos(t), np.sin(t)
        x = a * np.sign(ct) * np.abs(ct) ** 0.5
        y = b * np.sign(st) * np.abs(st) ** 0.5
    elif shape == 'blob':
        r = np.ones_like(t)
        for k in (2, 3, 4):
            r += rng.uniform(0.05, 0.13) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
        r /= r.max()
        x, y = a * r * np.cos(t), b * r * np.sin(t)
    elif shape == 'egg':
        x, y = a * np.cos(t), b * np.sin(t) * (1 + 0.35 * np.cos(t)) / 1.2
    else:
        raise ValueError(f'unknown body shape {shape!r}')
    return np.stack([x, y], axis=1)


def _shape_masks(shape: str, cx: float, cy: float, r: float, angle: float, size: int) -> np.ndarray:
    """Mask of a pretraining shape of radius ``r`` centred at (cx, cy), rotated by ``angle``."""
    centre = np.array([cx, cy])

    def poly(points: Sequence[Tuple[float, float]]) -> np.ndarray:
        return _rotate(np.asarray(points, np.float64) * r, angle) + centre

    def regular(n: int, radius: float = 1.0, phase: float = 0.0) -> List[Tuple[float, float]]:
        return [
            (
                radius * math.cos(phase + 2 * math.pi * k / n),
                radius * math.sin(phase + 2 * math.pi * k / n),
            )
            for k in range(n)
        ]

    def disk(ox: float, oy: float, radius: float) -> np.ndarray:
        return _fill([poly(regular(40, radius)) + _rotate(np.array([[ox, oy]]) * r, angle)], size)

    if shape == 'ring':
        return disk(0, 0, 1.0) & ~disk(0, 0, 0.55)
    if shape == 'crescent':
        return disk(0, 0, 1.0) & ~disk(0.45, 0, 0.85)
    if shape == 'cross':
        return _fill(
            [
                poly([(-1, -0.3), (1, -0.3), (1, 0.3), (-1, 0.3)]),
                poly([(-0.3, -1), (0.3, -1), (0.3, 1), (-0.3, 1)]),
            ],
            size,
        )
    if shape == 'triangle':
        return _fill([poly(regular(3, 1.0, -math.pi / 2))], size)
    if shape == 'star':
        pts = [
            (
                (1.0 if k % 2 == 0 else 0.45) * math.cos(-math.pi / 2 + math.pi * k / 5),
                (1.0 if k % 2 == 0 else 0.45) * math.sin(-math.pi / 2 + math.pi * k / 5),
            )
            for k in range(10)
        ]
        return _fill([poly(pts)], size)
    if shape == 'diamond':
        return _fill([poly([(0, -1), (0.6, 0), (0, 1), (-0.6, 0)])], size)
    if shape == 'hexagon':
        return _fill([poly(regular(6, 0.95))], size)
    if shape == 'arrow':
        return _fill(
            [
                poly(
                    [
                        (-1, -0.22),
                        (0.2, -0.22),
                        (0.2, -0.6),
                        (1, 0),
                        (0.2, 0.6),
                        (0.2, 0.22),
                        (-1, 0.22),
                    ]
                )
            ],
            size,
        )
    if shape == 'tee':
        return _fill(
            [
                poly([(-0.9, -0.9), (0.9, -0.9), (0.9, -0.5), (-0.9, -0.5)]),
                poly([(-0.22, -0.5), (0.22, -0.5), (0.22, 0.95), (-0.22, 0.95)]),
            ],
            size,
        )
    if shape == 'ell':
        return _fill(
            [
                poly([(-0.7, -0.95), (-0.3, -0.95), (-0.3, 0.55), (-0.7, 0.55)]),
                poly([(-0.7, 0.55), (0.8, 0.55), (0.8, 0.95), (-0.7, 0.95)]),
            ],
            size,
        )
    raise ValueError(f'unknown pretraining shape {shape!r}')


def _stripes(size: int, angle_deg: float, period: int, phase: float) -> np.ndarray:
    """Bool (size, size) stripe pattern of the given orientation and period."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    a = math.radians(angle_deg)
    coord = xx * math.cos(a) + yy * math.sin(a) + phase
    return (np.floor(coord / (period / 2.0)) % 2).astype(bool)


def _dull_colour(rng: np.random.Generator) -> np.ndarray:
    """A desaturated colour (what bodies, decoys and clutter are made of), RGB float."""
    return np.array(
        _hsv_to_rgb(rng.uniform(0, 360), rng.uniform(0.05, 0.35), rng.uniform(0.3, 0.85)),
        np.float32,
    )


def _luma(rgb: np.ndarray) -> float:
    return float(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def _paint_textured(
    img: np.ndarray, mask: np.ndarray, colour: np.ndarray, rng: np.random.Generator
) -> None:
    """Paint ``colour`` with a soft texture and a few blotches into ``img`` at ``mask``."""
    size = img.shape[0]
    shade = 1.0 + 0.1 * _smooth_noise(rng, size, int(rng.integers(4, 8)))
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return
    blotch = np.zeros((size, size), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(len(xs)))
        rad = float(rng.uniform(0.06, 0.14) * size)
        cv2.circle(
            blotch, (int(xs[k]), int(ys[k])), max(1, int(rad)), float(rng.choice([-0.15, 0.15])), -1
        )
    shade = shade + blotch
    img[mask] = np.clip(colour[None, :] * shade[mask][:, None], 0, 255)


def _background(
    rng: np.random.Generator, size: int, params: DifficultyParams, decoy_shapes: Sequence[str]
) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Cluttered background and the masks of its body-like decoys.

    Returns:
        tuple: float32 RGB image (size, size, 3) in 0..255 and a list of bool decoy masks.
    """
    cells = int(rng.integers(2, 5))
    grid = np.stack([_dull_colour(rng) for _ in range(cells * cells)]).reshape(cells, cells, 3)
    img = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    img += 8.0 * _smooth_noise(rng, size, max(4, size // 6))[..., None]
    for _ in range(params.clutter):
        colour = tuple(float(c) for c in _dull_colour(rng))
        kind = rng.integers(3)
        p1 = (int(rng.integers(size)), int(rng.integers(size)))
        if kind == 0:
            p2 = (int(rng.integers(size)), int(rng.integers(size)))
            cv2.line(img, p1, p2, colour, int(rng.integers(1, 3)))
        elif kind == 1:
            half = rng.integers(1, max(2, size // 10), size=2)
            cv2.rectangle(
                img,
                (p1[0] - int(half[0]), p1[1] - int(half[1])),
                (p1[0] + int(half[0]), p1[1] + int(half[1])),
                colour,
                -1,
            )
        else:
            cv2.circle(img, p1, int(rng.integers(1, max(2, size // 12))), colour, -1)
    decoys = []
    for _ in range(int(rng.poisson(params.decoys))):
        a = size * rng.uniform(0.12, 0.22)
        outline = _body_outline(
            decoy_shapes[int(rng.integers(len(decoy_shapes)))], a, a * rng.uniform(0.5, 0.9), rng
        )
        outline = _rotate(outline, rng.uniform(0, np.pi)) + rng.uniform(0.1, 0.9, size=2) * size
        mask = _fill([outline], size)
        if mask.sum() < 4:
            continue
        _paint_textured(img, mask, _dull_colour(rng), rng)
        decoys.append(mask)
    return np.clip(img, 0, 255), decoys


def _imperfect_saliency(
    rng: np.random.Generator,
    objects: List[np.ndarray],
    decoys: List[np.ndarray],
    params: DifficultyParams,
) -> np.ndarray:
    """An imperfect saliency map of the visible object masks.

    Boundary noise (a smooth random shift of the outline), missed regions (a blob, rarely a whole
    object), false alarms (a decoy or a random blob), soft edges.

    Returns:
        np.ndarray: uint8 (size, size), 0-255.
    """
    size = objects[0].shape[0]
    fg = np.zeros((size, size), bool)
    for m in objects:
        fg |= m
    detected = fg.copy()
    for m in objects:
        u = rng.random()
        if u < params.sal_miss_whole:
            detected &= ~m
        elif u < params.sal_miss_whole + params.sal_miss:
            ys, xs = np.nonzero(m)
            k = int(rng.integers(len(xs)))
            extent = math.sqrt(m.sum())
            axes = (
                max(1, int(extent * rng.uniform(0.2, 0.45))),
                max(1, int(extent * rng.uniform(0.15, 0.35))),
            )
            hole = np.zeros((size, size), np.uint8)
            cv2.ellipse(
                hole, (int(xs[k]), int(ys[k])), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1
            )
            detected &= ~hole.astype(bool)
    if rng.random() < params.sal_false_alarm:
        free_decoys = [m & ~fg for m in decoys if (m & ~fg).sum() > 4]
        if free_decoys:
            detected |= free_decoys[int(rng.integers(len(free_decoys)))]
        else:
            axes = (
                max(1, int(size * rng.uniform(0.05, 0.14))),
                max(1, int(size * rng.uniform(0.04, 0.1))),
            )
            blob = np.zeros((size, size), np.uint8)
            cv2.ellipse(
                blob,
                (int(rng.integers(size)), int(rng.integers(size))),
                axes,
                float(rng.uniform(0, 180)),
                0,
                360,
                1,
                -1,
            )
            detected |= blob.astype(bool)
    wobble = params.sal_boundary_px * _smooth_noise(rng, size, max(4, size // 8))
    if detected.any():
        d_in = cv2.distanceTransform(detected.astype(np.uint8), cv2.DIST_L2, 3)
        d_out = cv2.distanceTransform((~detected).astype(np.uint8), cv2.DIST_L2, 3)
        sal = (d_in - d_out + 0.5 + wobble) > 0
    else:
        sal = detected
    soft = cv2.GaussianBlur(sal.astype(np.float32) * 255.0, (0, 0), sigmaX=0.8)
    return np.clip(np.round(soft), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------ samples
class SyntheticSample(NamedTuple):
    """One generated image with its annotations.

    Attributes:
        image (np.ndarray): uint8 RGB, (S, S, 3).
        mask (np.ndarray): uint8 (S, S) class indices, 0 background (whole visible objects).
        part_mask (np.ndarray): uint8 (S, S), the class index on visible discriminative-part pixels,
            0 elsewhere (the pretraining task marks whole objects here).
        saliency (np.ndarray): uint8 (S, S), 0-255, imperfect.
        labels (list[int]): Sorted foreground class indices present in ``mask``.
    """

    image: np.ndarray
    mask: np.ndarray
    part_mask: np.ndarray
    saliency: np.ndarray
    labels: List[int]


def sample_rng(seed: int, split: str, index: int, task: str = 'wsss') -> np.random.Generator:
    """The random generator of one image: independent streams per (seed, task, split, index)."""
    return np.random.default_rng(
        np.random.SeedSequence([int(seed), TASK_CODES[task], SPLIT_CODES[split], int(index)])
    )


def _place(rng: np.random.Generator, outline: np.ndarray, size: int) -> Optional[np.ndarray]:
    """Translate an outline centred at 0 to a random spot where it fits inside the image."""
    lo, hi = outline.min(axis=0), outline.max(axis=0)
    low, high = -lo + 1, size - 2 - hi
    if np.any(high < low):
        return None
    return outline + rng.uniform(low, high)


def _visible_ok(
    tops: np.ndarray, full: List[np.ndarray], parts: List[np.ndarray], max_occlusion: float
) -> bool:
    """Whether every object keeps enough of its area and of its part visible."""
    for k, (m, p) in enumerate(zip(full, parts)):
        vis = tops == k
        if (vis & m).sum() < (1 - max_occlusion) * m.sum():
            return False
        if p is not None and (vis & p).sum() < 0.6 * p.sum():
            return False
    return True


#: Object size factor by the number of objects in the image (1, 2, 3, ... objects).
_CROWD_SCALE = (1.0, 0.85, 0.75, 0.7, 0.65, 0.6)


def _crowd_scale(n_objects: int) -> float:
    return _CROWD_SCALE[min(n_objects, len(_CROWD_SCALE)) - 1]


def _make_wsss_object(
    rng: np.random.Generator,
    spec: PartClass,
    size: int,
    n_objects: int,
    params: DifficultyParams,
    object_scale: float = 1.0,
) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Body and part masks of one object at a random place (None if it does not fit)."""
    shape = (
        spec.body_shape
        if rng.random() < params.body_shape_bias
        else BODY_SHAPES[int(rng.integers(len(BODY_SHAPES)))]
    )
    a = size * rng.uniform(*params.body_size) * _crowd_scale(n_objects) * object_scale
    b = a * rng.uniform(*params.body_aspect)
    local = _body_outline(shape, a, b, rng)
    angle = rng.uniform(0, np.pi)
    rotated = _rotate(local, angle)
    outline = _place(rng, rotated, size)
    if outline is None:
        return None
    body = _fill([outline], size)
    area = float(body.sum())
    part_area = area * rng.uniform(*params.part_frac)
    side = (
        math.sqrt(part_area) if spec.part_shape == 'square' else 2 * math.sqrt(part_area / math.pi)
    )
    side = max(side, 3.0)
    inner = cv2.erode(body.astype(np.uint8), np.ones((int(side) + 1, int(side) + 1), np.uint8))
    ys, xs = np.nonzero(inner)
    if len(xs) == 0:
        return None
    if params.part_offset is None:
        k = int(rng.integers(len(xs)))
    else:  # near one end of the major axis: the inner pixel closest to that point
        along = rng.uniform(*params.part_offset) * a * (1 if rng.random() < 0.5 else -1)
        across = rng.uniform(-0.15, 0.15) * b
        target = _rotate(np.array([[along, across]]), angle)[0] + (outline[0] - rotated[0])
        k = int(np.argmin((xs - target[0]) ** 2 + (ys - target[1]) ** 2))
    cx, cy = float(xs[k]), float(ys[k])
    if spec.part_shape == 'square':
        h = side / 2
        corners = _rotate(np.array([[-h, -h], [h, -h], [h, h], [-h, h]]), rng.uniform(0, np.pi / 2))
        part = _fill([corners + [cx, cy]], size)
    else:
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        part = _fill([np.stack([cx + side / 2 * np.cos(t), cy + side / 2 * np.sin(t)], 1)], size)
    part &= body
    if part.sum() < 4:
        return None
    return body, part


def _make_pretrain_object(
    rng: np.random.Generator, shape: str, size: int, n_objects: int, object_scale: float = 1.0
) -> Optional[Tuple[np.ndarray, None]]:
    """Mask of one pretraining shape at a random place."""
    r = size * rng.uniform(0.2, 0.3) * _crowd_scale(n_objects) * object_scale
    lo, hi = r + 1, size - 2 - r
    if hi <= lo:
        return None
    mask = _shape_masks(
        shape, rng.uniform(lo, hi), rng.uniform(lo, hi), r, rng.uniform(0, 2 * np.pi), size
    )
    return (mask, None) if mask.sum() >= 6 else None


def _draw_objects(
    rng: np.random.Generator, num_object_classes: int, max_objects: int, cooccurrence: str
) -> List[int]:
    """The classes of an image's objects, one entry per object.

    ``'uniform'``: 1..max_objects objects, each of a uniformly drawn class (repeats allowed).
    ``'voc'``: the number of distinct classes follows :data:`VOC_CLASS_COUNTS` (capped at the number
    of classes), each class gets one object and, with probability 0.25, a second one (as VOC shows
    two people or three sheep), at most ``max_objects`` in all.
    """
    if cooccurrence == 'uniform':
        n_objects = int(rng.integers(1, max_objects + 1))
        return [int(c) for c in rng.integers(1, num_object_classes + 1, size=n_objects)]
    probs = np.asarray(
        VOC_CLASS_COUNTS[: min(num_object_classes, max_objects, len(VOC_CLASS_COUNTS))], np.float64
    )
    k = int(rng.choice(len(probs), p=probs / probs.sum())) + 1
    classes = sorted(int(c) + 1 for c in rng.choice(num_object_classes, size=k, replace=False))
    objects = list(classes)
    for cls in classes:
        if len(objects) < max_objects and rng.random() < 0.25:
            objects.append(cls)
    return objects


def make_sample(
    rng: np.random.Generator,
    num_object_classes: int = 4,
    image_size: int = 64,
    difficulty: Union[str, float] = 'medium',
    max_objects: int = 3,
    task: str = 'wsss',
    cooccurrence: str = 'uniform',
    object_scale: float = 1.0,
    params: Optional[Dict[str, object]] = None,
) -> SyntheticSample:
    """Draw one image with its mask, part mask, saliency map and labels.

    Args:
        rng (np.random.Generator): Randomness (see :func:`sample_rng`).
        num_object_classes (int): Number of object classes K (background excluded). Defaults to 4.
        image_size (int): Side of the square image S, >= 32. Defaults to 64.
        difficulty (str | float): ``'easy'``, ``'medium'``, ``'hard'`` or a number in [0, 1].
        max_objects (int): At most this many objects, 1..6. Defaults to 3.
        task (str): ``'wsss'`` (part on body) or ``'pretrain'`` (shape classes). Defaults to
            ``'wsss'``.
        cooccurrence (str): How many objects and classes an image shows: ``'uniform'``
            (1..max_objects objects of independent classes) or ``'voc'`` (PASCAL VOC's share of
            images with 1, 2, 3, 4+ classes, see :func:`_draw_objects`). Defaults to 'uniform'.
        object_scale (float): Factor on every object's size (e.g. 0.5 for scenes of small
            objects). Defaults to 1.0.
        params (dict, optional): Generator knobs overriding the difficulty's
            (:func:`difficulty_params`). Defaults to None.

    Returns:
        SyntheticSample: The image and its annotations.
    """
    if image_size < 32:
        raise ValueError(f'image_size must be >= 32, got {image_size}')
    if not 1 <= max_objects <= len(_CROWD_SCALE):
        raise ValueError(f'max_objects must lie in 1..{len(_CROWD_SCALE)}, got {max_objects}')
    if task not in TASK_CODES:
        raise ValueError(f'task must be one of {sorted(TASK_CODES)}, got {task!r}')
    if cooccurrence not in COOCCURRENCE:
        raise ValueError(f'cooccurrence must be one of {COOCCURRENCE}, got {cooccurrence!r}')
    if not 0.1 <= object_scale <= 1.5:
        raise ValueError(f'object_scale must lie in [0.1, 1.5], got {object_scale}')
    params = difficulty_params(difficulty, params)
    size = image_size
    specs = (
        benchmark_classes(num_object_classes)
        if task == 'wsss'
        else pretrain_classes(num_object_classes)
    )
    img, decoys = _background(rng, size, params, BODY_SHAPES)

    classes = _draw_objects(rng, num_object_classes, max_objects, cooccurrence)
    n_objects = len(classes)
    full: List[np.ndarray] = []
    parts: List[Optional[np.ndarray]] = []
    kept: List[int] = []
    tops = np.full((size, size), -1, np.int16)
    for cls in classes:
        for _ in range(40):
            if task == 'wsss':
                obj = _make_wsss_object(rng, specs[cls - 1], size, n_objects, params, object_scale)
            else:
                obj = _make_pretrain_object(rng, specs[cls - 1], size, n_objects, object_scale)
            if obj is None:
                continue
            new_tops = tops.copy()
            new_tops[obj[0]] = len(full)
            if _visible_ok(new_tops, full + [obj[0]], parts + [obj[1]], params.max_occlusion):
                full.append(obj[0])
                parts.append(obj[1])
                kept.append(cls)
                tops = new_tops
                break
    if not full:  # cannot happen with the size ranges above; guard against silent empty images
        raise RuntimeError(f'could not place any object in a {size}x{size} image')

    mask = np.zeros((size, size), np.uint8)
    part_mask = np.zeros((size, size), np.uint8)
    visible = []
    for k, (cls, body, part) in enumerate(zip(kept, full, parts)):
        vis = tops == k
        visible.append(vis)
        mask[vis] = cls
        if task == 'wsss':
            spec = specs[cls - 1]
            colour = np.array(spec.colour, np.float32)
            for _ in range(10):  # keep the body visibly apart from what lies under it
                base = _dull_colour(rng)
                if abs(_luma(base) - float(img[body].mean(axis=0) @ [0.299, 0.587, 0.114])) > 35:
                    break
            body_colour = (1 - params.body_tint) * base + params.body_tint * colour
            _paint_textured(img, body, body_colour, rng)
            stripes = _stripes(
                size, spec.stripe_angle, spec.stripe_period, rng.uniform(0, spec.stripe_period)
            )
            img[part & stripes] = colour
            img[part & ~stripes] = colour * 0.45
            part_mask[vis & part] = cls
        else:
            colour = np.array(
                _hsv_to_rgb(rng.uniform(0, 360), rng.uniform(0.3, 1.0), rng.uniform(0.4, 1.0)),
                np.float32,
            )
            texture = int(rng.integers(3))
            if texture == 0:
                _paint_textured(img, body, colour, rng)
            else:
                pattern = _stripes(size, rng.uniform(0, 180), int(rng.integers(3, 7)), 0.0)
                if texture == 2:
                    pattern = pattern & _stripes(
                        size, rng.uniform(0, 180), int(rng.integers(3, 7)), 0.0
                    )
                img[body & pattern] = colour
                img[body & ~pattern] = colour * rng.uniform(0.3, 0.7)
            part_mask[vis] = cls
        # later objects are painted over earlier ones, so occlusion matches ``tops``
    img = img + rng.normal(0.0, params.noise_sigma, img.shape).astype(np.float32)
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)
    saliency = _imperfect_saliency(rng, visible, decoys, params)
    labels = sorted(set(int(c) for c in np.unique(mask) if c != 0))
    return SyntheticSample(image, mask, part_mask, saliency, labels)


# -------------------------------------------------------------------------------------- writing
def _save_png(array: np.ndarray, path: str, palette: Optional[List[List[int]]] = None) -> None:
    img = Image.fromarray(array)
    if palette is not None:
        flat = [v for colour in palette for v in colour]
        img.putpalette(flat + [0] * (768 - len(flat)))
    img.save(path, format='PNG')


def generate_synthetic_benchmark(
    out_dir: str,
    num_train: int = 400,
    num_val: int = 100,
    num_object_classes: int = 4,
    image_size: int = 64,
    difficulty: Union[str, float] = 'medium',
    seed: int = 0,
    max_objects: int = 3,
    task: str = 'wsss',
    write_parts: Optional[bool] = None,
    cooccurrence: str = 'uniform',
    object_scale: float = 1.0,
    params: Optional[Dict[str, object]] = None,
) -> dict:
    """Write the synthetic benchmark (or, with ``task='pretrain'``, the pretraining set) to disk.

    Args:
        out_dir (str): Output folder (created; files of the same names are overwritten).
        num_train (int): Training images. Defaults to 400.
        num_val (int): Validation images. Defaults to 100.
        num_object_classes (int): Object classes K, background excluded (the dataset then has K + 1
            classes). Defaults to 4.
        image_size (int): Side of the square images. Defaults to 64.
        difficulty (str | float): ``'easy'``, ``'medium'``, ``'hard'`` or a number in [0, 1].
        seed (int): Seed; the same arguments give byte-identical files. Defaults to 0.
        max_objects (int): At most this many objects per image (1..6). Defaults to 3.
        task (str): ``'wsss'`` or ``'pretrain'``. Defaults to ``'wsss'``.
        write_parts (bool, optional): Write ``PartMask/`` (class index on part pixels). Defaults
            to None: for the WSSS task, not for the pretraining set (it has no parts).
        cooccurrence (str): ``'uniform'`` or ``'voc'`` (VOC's class co-occurrence); see
            :func:`make_sample`. Defaults to 'uniform'.
        object_scale (float): Factor on every object's size. Defaults to 1.0.
        params (dict, optional): Generator knobs overriding the difficulty's (e.g.
            ``dict(body_tint=0.05)``); recorded in ``meta.json``. Defaults to None.

    Returns:
        dict: The contents of the written ``meta.json``.
    """
    if num_train < 1 or num_val < 0:
        raise ValueError(f'need num_train >= 1 and num_val >= 0, got {num_train} and {num_val}')
    d = resolve_difficulty(difficulty)
    knobs = difficulty_params(d, params)  # checks the overrides before any file is written
    if task == 'wsss':
        specs = benchmark_classes(num_object_classes)
        names = [s.name for s in specs]
    elif task == 'pretrain':
        names = pretrain_classes(num_object_classes)
    else:
        raise ValueError(f'task must be one of {sorted(TASK_CODES)}, got {task!r}')
    classes = ['background'] + names
    palette = voc_colormap(len(classes))
    full_palette = voc_colormap(256)

    folders = dict(FOLDERS)
    if write_parts is None:
        write_parts = task == 'wsss'
    if write_parts:
        folders['part_path'] = PART_FOLDER
    for folder in list(folders.values()) + ['ImageSets/Segmentation']:
        os.makedirs(osp.join(out_dir, folder), exist_ok=True)

    labels: Dict[str, List[int]] = {}
    object_px = part_px = 0
    label_counts = [0] * len(classes)
    classes_per_image = [0] * (num_object_classes + 1)
    for split, count in (('train', num_train), ('val', num_val)):
        ids = []
        for index in range(count):
            img_id = f'{split}_{index:05d}'
            sample = make_sample(
                sample_rng(seed, split, index, task),
                num_object_classes,
                image_size,
                d,
                max_objects,
                task,
                cooccurrence,
                object_scale,
                params,
            )
            _save_png(sample.image, osp.join(out_dir, folders['img_path'], img_id + '.png'))
            _save_png(
                sample.mask,
                osp.join(out_dir, folders['seg_map_path'], img_id + '.png'),
                full_palette,
            )
            _save_png(sample.saliency, osp.join(out_dir, folders['sal_path'], img_id + '.png'))
            if write_parts:
                _save_png(
                    sample.part_mask, osp.join(out_dir, PART_FOLDER, img_id + '.png'), full_palette
                )
            labels[img_id] = sample.labels
            for c in sample.labels:
                label_counts[c] += 1
            classes_per_image[len(sample.labels)] += 1
            if split == 'train':
                object_px += int((sample.mask > 0).sum())
                part_px += int((sample.part_mask > 0).sum())
            ids.append(img_id)
        with open(
            osp.join(out_dir, 'ImageSets', 'Segmentation', f'{split}.txt'), 'w', encoding='utf-8'
        ) as f:
            f.write(''.join(i + '\n' for i in ids))
    write_cls_label_file(osp.join(out_dir, 'cls_labels.txt'), labels)

    meta = dict(
        generator='mmwsss.datasets.synthetic',
        format_version=FORMAT_VERSION,
        task=task,
        classes=classes,
        palette=palette,
        num_classes=len(classes),
        num_object_classes=num_object_classes,
        image_size=image_size,
        difficulty=d,
        seed=seed,
        max_objects=max_objects,
        cooccurrence=cooccurrence,
        object_scale=object_scale,
        splits=dict(train=num_train, val=num_val),
        img_suffix='.png',
        seg_map_suffix='.png',
        sal_suffix='.png',
        folders=folders,
        cls_label_file='cls_labels.txt',
        image_format='png (lossless, stored in JPEGImages/ to keep the VOC layout)',
        images_per_class=dict(zip(classes[1:], label_counts[1:])),
        images_by_class_count={str(k): n for k, n in enumerate(classes_per_image) if k and n},
        param_overrides=dict(params or {}),
        params=asdict(knobs),
    )
    if task == 'wsss':
        meta['class_definitions'] = [asdict(s) for s in specs]
        meta['train_part_fraction'] = round(part_px / max(object_px, 1), 4)
    with open(osp.join(out_dir, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write('\n')
    return json.loads(json.dumps(meta))  # what a reader of meta.json sees (lists, not tuples)


def generate_pretrain_set(
    out_dir: str,
    num_train: int = 800,
    num_val: int = 200,
    num_object_classes: int = 8,
    image_size: int = 64,
    difficulty: Union[str, float] = 'medium',
    seed: int = 0,
    max_objects: int = 3,
    object_scale: float = 1.0,
    params: Optional[Dict[str, object]] = None,
) -> dict:
    """Write the separate pretraining classification set (shape classes), the ImageNet stand-in.

    Same layout as :func:`generate_synthetic_benchmark` (read it with ``SyntheticWSSSDataset``); its
    classes (ring, cross, triangle, ...) share nothing with the benchmark's part classes.

    Args:
        out_dir (str): Output folder.
        num_train (int): Training images. Defaults to 800.
        num_val (int): Validation images. Defaults to 200.
        num_object_classes (int): Shape classes, 2..10. Defaults to 8.
        image_size (int): Image side. Defaults to 64.
        difficulty (str | float): Clutter and noise level. Defaults to ``'medium'``.
        seed (int): Seed. Defaults to 0.
        max_objects (int): 1..this many shapes per image (<= 6). Defaults to 3.
        object_scale (float): Factor on the shapes' size (e.g. 0.5: scenes of small objects).
            Defaults to 1.0.
        params (dict, optional): Generator knobs overriding the difficulty's. Defaults to None.

    Returns:
        dict: The written ``meta.json``.
    """
    return generate_synthetic_benchmark(
        out_dir,
        num_train=num_train,
        num_val=num_val,
        num_object_classes=num_object_classes,
        image_size=image_size,
        difficulty=difficulty,
        seed=seed,
        max_objects=max_objects,
        task='pretrain',
        object_scale=object_scale,
        params=params,
    )
