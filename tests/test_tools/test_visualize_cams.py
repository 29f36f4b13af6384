# Copyright (c) mmwsss contributors. All rights reserved.
"""tools/analysis_tools/visualize_cams.py: grids of a model's maps, labels and GT."""

import os.path as osp

import numpy as np
import pytest
import torch
from generation_helpers import tiny_model_cfg
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image
from tool_loader import load_tool

from mmwsss.apis import init_dataset, init_model
from mmwsss.datasets import generate_synthetic_benchmark
from mmwsss.registry import MODELS
from mmwsss.visualization import grid_size

tool = load_tool('analysis_tools/visualize_cams.py')
NUM_FG = 2
SIZE = 32


def _model_cfg() -> dict:
    cfg = tiny_model_cfg()
    cfg['decode_head'].update(num_classes=NUM_FG, channels=16)
    return dict(cfg, test_cfg=dict(bg_threshold=0.2))


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('vis')
    data_root = str(root / 'data')
    generate_synthetic_benchmark(
        data_root, num_train=3, num_val=2, num_object_classes=NUM_FG, image_size=SIZE, seed=0
    )
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadImageLevelLabels'),
        dict(type='LoadAnnotations'),
        dict(type='PackWSSSInputs'),
    ]
    dataset = dict(
        type='SyntheticWSSSDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline,
    )
    train_dataset = dict(
        type='RepeatDataset',
        times=2,
        dataset=dict(
            type='SyntheticWSSSDataset',
            data_root=data_root,
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[dict(type='LoadImageFromFile')],
        ),
    )
    cfg = Config(
        dict(
            default_scope='mmseg',
            custom_imports=dict(imports=['mmwsss'], allow_failed_imports=False),
            model=_model_cfg(),
            train_dataloader=dict(batch_size=1, dataset=train_dataset),
            test_dataloader=dict(batch_size=1, dataset=dataset),
        )
    )
    cfg_file = str(root / 'cfg.py')
    cfg.dump(cfg_file)
    torch.manual_seed(0)
    init_default_scope('mmseg')
    model = MODELS.build(_model_cfg())
    ckpt = str(root / 'model.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    return dict(root=root, data_root=data_root, cfg_file=cfg_file, ckpt=ckpt, model=model)


def test_tool_writes_grid_of_expected_size(setup, tmp_path):
    out = str(tmp_path / 'sub' / 'grid.png')
    rc = tool.main(
        [
            setup['cfg_file'],
            setup['ckpt'],
            '--out',
            out,
            '--num',
            '2',
            '--cell-size',
            '48',
            '--device',
            'cpu',
        ]
    )
    assert rc == 0
    assert osp.isfile(out)
    with Image.open(out) as img:
        assert img.mode == 'RGB'
        height, width = grid_size(2, 4, 48)
        assert img.size == (width, height)
        pixels = np.array(img)
    # the cells are drawn (not left white)
    assert pixels[height // 2 :, : width // 4].std() > 5


def test_per_class_grid_with_pseudo_labels_on_train_split(setup, tmp_path):
    cfg = Config.fromfile(setup['cfg_file'])
    model = init_model(cfg, setup['ckpt'])
    dataset = init_dataset(cfg, 'train', test_pipeline=True)  # RepeatDataset unwrapped
    assert len(dataset) == 3
    ids = [dataset.get_data_info(i)['img_id'] for i in (2, 0)]
    label_dir = tmp_path / 'labels'
    label_dir.mkdir()
    for img_id in ids:
        label = np.zeros((SIZE, SIZE), np.uint8)
        label[:8] = 255
        label[8:16] = 1
        Image.fromarray(label, mode='L').save(label_dir / f'{img_id}.png')
    grid = tool.make_cam_grid(
        model, dataset, img_ids=ids, pseudo_label_dir=str(label_dir), per_class=True, cell_size=32
    )
    n_classes = max(len(dataset.get_data_info(i)['cls_labels']) for i in (2, 0))
    assert grid.shape == grid_size(2, 3 + max(1, n_classes), 32) + (3,)
    with pytest.raises(KeyError, match='nope'):
        tool.make_cam_grid(model, dataset, img_ids=['nope'])
    with pytest.raises(FileNotFoundError, match='pseudo label'):
        tool.make_cam_grid(model, dataset, img_ids=ids, pseudo_label_dir=str(tmp_path))


class _PlainSegmentor(torch.nn.Module):
    """A segmentor without localization_maps: its seg_logits are scores to be softmaxed."""

    def __init__(self, model):
        super().__init__()
        self.inner = model
        self.data_preprocessor = model.data_preprocessor

    def predict(self, inputs, data_samples):
        samples = self.inner.predict(inputs, data_samples)
        for s in samples:
            s.seg_logits.data = s.seg_logits.data * 10  # any real-valued logits
        return samples


def test_plain_segmentor_without_gt(setup):
    cfg = Config.fromfile(setup['cfg_file'])
    cfg.test_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='PackWSSSInputs'),
    ]
    cfg.test_dataloader.dataset.data_prefix = dict(
        img_path='JPEGImages', seg_map_path=None, sal_path=None
    )
    cfg.model.test_cfg.label_source = 'pred'  # no image-level labels in this pipeline
    dataset = init_dataset(cfg, 'test')
    model = _PlainSegmentor(init_model(cfg, setup['ckpt'])).eval()
    row = tool.collect_row(model, dataset, 0)
    assert row.gt is None and row.label_title == 'prediction'
    assert row.label.shape == (SIZE, SIZE) and row.image.shape == (SIZE, SIZE, 3)
    # classes from the data info's cls_labels; maps are softmax scores in [0, 1]
    assert row.map_classes == sorted(dataset.get_data_info(0)['cls_labels'])
    assert row.maps.shape == (len(row.map_classes), SIZE, SIZE)
    assert 0 <= row.maps.min() and row.maps.max() <= 1
    grid = tool.make_cam_grid(model, dataset, num=1, cell_size=24)
    assert grid.shape == grid_size(1, 4, 24) + (3,)
    # the GT cell is blank (white, apart from its text)
    x0 = 2 + 3 * (24 + 2)
    y0 = 2 + 12 + 2
    assert (grid[y0 : y0 + 5, x0 : x0 + 24] == 255).all()
