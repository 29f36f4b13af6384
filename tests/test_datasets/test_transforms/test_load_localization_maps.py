# Copyright (c) mmwsss contributors. All rights reserved.
"""LoadLocalizationMaps: reading the stored npz, dense layout, joint geometry."""

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from PIL import Image

import mmwsss  # noqa: F401  (registers its modules)
from mmwsss.registry import TRANSFORMS

H, W, C = 12, 16, 5  # C classes with background: K = 4 foreground channels


def _maps(h=H, w=W):
    """Two class maps whose values encode their pixel position (unique)."""
    ys, xs = np.mgrid[0:h, 0:w]
    a = (ys * w + xs) % 251 + 1  # 1..251, different at every pixel
    return np.stack([a, 252 - a]).astype(np.uint8)


def _save(path, maps, labels):
    np.savez_compressed(path, maps=maps, labels=np.asarray(labels, np.int64))


@pytest.fixture
def sample(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / 'im1.png')
    maps_dir = tmp_path / 'maps'
    maps_dir.mkdir()
    _save(maps_dir / 'im1.npz', _maps(), [3, 1])
    info = dict(
        img_path=str(tmp_path / 'im1.png'),
        img_id='im1',
        cls_labels=[1, 3],
        num_classes=C,
        seg_fields=[],
    )
    return info, str(maps_dir), img


def test_dense_layout(sample):
    info, maps_dir, img = sample
    out = Compose(
        [dict(type='LoadImageFromFile'), dict(type='LoadLocalizationMaps', maps_dir=maps_dir)]
    )(dict(info))
    loc = out['gt_loc_map']
    assert loc.dtype == np.uint8 and loc.shape == (H, W, C - 1)
    maps = _maps()
    # labels [3, 1]: map 0 is class 3 (channel 2), map 1 is class 1 (ch 0)
    np.testing.assert_array_equal(loc[:, :, 2], maps[0])
    np.testing.assert_array_equal(loc[:, :, 0], maps[1])
    assert not loc[:, :, 1].any() and not loc[:, :, 3].any()
    assert out['seg_fields'] == ['gt_loc_map']
    assert out['loc_map_path'].endswith('im1.npz')


def test_loc_map_path_from_data_info_and_num_classes_arg(sample, tmp_path):
    info, maps_dir, _ = sample
    info = dict(info, loc_map_path=maps_dir + '/im1.npz', num_classes=None)
    out = TRANSFORMS.build(dict(type='LoadLocalizationMaps', num_classes=7))(
        dict(info, img_id=None)
    )
    assert out['gt_loc_map'].shape == (H, W, 6)
    # maps_dir wins over loc_map_path; img_id falls back on img_path's stem
    info['loc_map_path'] = str(tmp_path / 'elsewhere.npz')
    out = TRANSFORMS.build(dict(type='LoadLocalizationMaps', maps_dir=maps_dir, num_classes=7))(
        dict(info, img_id=None)
    )
    assert out['loc_map_path'] == maps_dir + '/im1.npz'


STEPS = [
    [dict(type='RandomFlip', prob=1.0)],
    [dict(type='RandomFlip', prob=1.0, direction='vertical')],
    # nearest for the image too, so the image keeps its position code
    [dict(type='Resize', scale=(37, 23), keep_ratio=False, interpolation='nearest')],
    [dict(type='Resize', scale=(40, 40), keep_ratio=True, interpolation='nearest')],
    [dict(type='RandomCrop', crop_size=(7, 9))],
    [
        dict(
            type='RandomResize',
            scale=(32, 24),
            ratio_range=(0.5, 2.0),
            keep_ratio=True,
            interpolation='nearest',
        ),
        dict(type='RandomCrop', crop_size=(10, 10)),
        dict(type='RandomFlip', prob=0.5),
    ],
]


@pytest.mark.parametrize('steps', STEPS)
def test_maps_follow_the_image(sample, steps):
    """Map values encode positions, and the image's first channel is
    replaced by the same code: after any geometry both must still agree."""
    info, maps_dir, _ = sample
    code = _maps()[0]
    img = np.stack([code, code, code], axis=-1)
    Image.fromarray(img).save(info['img_path'])
    pipeline = Compose(
        [
            dict(type='LoadImageFromFile'),
            dict(type='LoadLocalizationMaps', maps_dir=maps_dir),
            *steps,
            dict(type='PackWSSSInputs'),
        ]
    )
    for seed in range(3):
        np.random.seed(seed)
        packed = pipeline(dict(info, seg_fields=[]))
        image = packed['inputs'].numpy()  # (3, h, w), BGR = same code
        loc = packed['data_samples'].gt_loc_map.data.numpy()  # (K, h, w)
        assert loc.shape == (C - 1,) + image.shape[1:]
        np.testing.assert_array_equal(loc[2], image[0])
        np.testing.assert_array_equal(loc[0], 252 - image[0])


def test_flip_really_flips(sample):
    info, maps_dir, _ = sample
    packed = Compose(
        [
            dict(type='LoadImageFromFile'),
            dict(type='LoadLocalizationMaps', maps_dir=maps_dir),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackWSSSInputs'),
        ]
    )(dict(info))
    loc = packed['data_samples'].gt_loc_map.data
    assert loc.dtype == torch.uint8
    np.testing.assert_array_equal(loc[2].numpy(), _maps()[0][:, ::-1])


def test_single_foreground_class_survives_resize(tmp_path):
    """OpenCV drops the channel axis of (H, W, 1); packing restores it."""
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(tmp_path / 'a.png')
    maps = np.arange(48, dtype=np.uint8).reshape(1, 6, 8)
    _save(tmp_path / 'a.npz', maps, [1])
    packed = Compose(
        [
            dict(type='LoadImageFromFile'),
            dict(type='LoadLocalizationMaps', maps_dir=str(tmp_path)),
            dict(type='Resize', scale=(16, 12), keep_ratio=False),
            dict(type='PackWSSSInputs'),
        ]
    )(
        dict(
            img_path=str(tmp_path / 'a.png'),
            img_id='a',
            cls_labels=[1],
            num_classes=2,
            seg_fields=[],
        )
    )
    loc = packed['data_samples'].gt_loc_map.data
    assert loc.shape == (1, 12, 16)
    np.testing.assert_array_equal(loc[0].numpy(), np.repeat(np.repeat(maps[0], 2, 0), 2, 1))


def _results(info, tmp_path):
    return dict(info, img=np.zeros((H, W, 3), np.uint8))


@pytest.mark.parametrize(
    'content, match',
    [
        (None, r'maps.*im1\.npz does not exist'),
        (b'garbage', r'im1\.npz cannot be read'),
        (
            dict(maps=_maps()),
            r'im1\.npz cannot be read: it lacks the arrays '
            r"\['labels'\]",
        ),
        (dict(maps=_maps().astype(np.float32), labels=[1, 3]), r'im1\.npz must hold maps as uint8'),
        (dict(maps=_maps(), labels=[1]), r'im1\.npz must hold labels'),
        (
            dict(maps=_maps(), labels=[1, 5]),
            r'lists classes \[1, 5\], outside '
            r'1\.\.4',
        ),
        (dict(maps=_maps(), labels=[3, 3]), r'lists a class twice'),
        (
            dict(maps=_maps(10, W), labels=[1, 3]),
            r'im1\.npz are 16x10 \(WxH\) but their image .*im1\.png is 16x12',
        ),
        (
            dict(maps=_maps(), labels=[1, 2]),
            r'holds classes \[1, 2\] but image .*im1\.png is labelled \[1, 3\]',
        ),
    ],
)
def test_bad_files(sample, tmp_path, content, match):
    info, maps_dir, _ = sample
    path = tmp_path / 'maps' / 'im1.npz'
    path.unlink()
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        np.savez(path, **{k: np.asarray(v) for k, v in content.items()})
    exc = FileNotFoundError if content is None else ValueError
    with pytest.raises(exc, match=match):
        TRANSFORMS.build(dict(type='LoadLocalizationMaps', maps_dir=maps_dir))(
            _results(info, tmp_path)
        )


def test_label_check_can_be_switched_off(sample, tmp_path):
    info, maps_dir, _ = sample
    out = TRANSFORMS.build(
        dict(type='LoadLocalizationMaps', maps_dir=maps_dir, check_labels=False)
    )(_results(dict(info, cls_labels=[2]), tmp_path))
    assert out['gt_loc_map'][:, :, 2].any()


def test_missing_configuration(sample, tmp_path):
    info, maps_dir, _ = sample
    with pytest.raises(
        KeyError,
        match=r'im1\.png has no localization map '
        r"file; set the dataset's data_prefix loc_map_path",
    ):
        TRANSFORMS.build(dict(type='LoadLocalizationMaps'))(_results(info, tmp_path))
    with pytest.raises(KeyError, match='has no num_classes'):
        TRANSFORMS.build(dict(type='LoadLocalizationMaps', maps_dir=maps_dir))(
            _results(dict(info, num_classes=None), tmp_path)
        )
    with pytest.raises(ValueError, match='num_classes counts background'):
        TRANSFORMS.build(dict(type='LoadLocalizationMaps', num_classes=1))


def test_pack_rejects_misaligned_maps(sample):
    info, maps_dir, _ = sample
    out = Compose(
        [dict(type='LoadImageFromFile'), dict(type='LoadLocalizationMaps', maps_dir=maps_dir)]
    )(dict(info))
    out['seg_fields'].remove('gt_loc_map')  # the resize will skip the maps
    out = TRANSFORMS.build(dict(type='Resize', scale=(8, 6)))(out)
    with pytest.raises(
        ValueError,
        match=r'gt_loc_map of .*im1\.png is 16x12 '
        r'\(WxH\) but the image is 8x6',
    ):
        TRANSFORMS.build(dict(type='PackWSSSInputs'))(out)
