# Copyright (c) mmwsss contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets import (
    cls_labels_from_mask,
    read_cls_label_file,
    read_index_mask,
    write_cls_label_file,
)


def test_round_trip(tmp_path):
    path = str(tmp_path / 'sub' / 'labels.txt')
    write_cls_label_file(path, {'b': [3, 1, 3], 'a': [2]})
    assert open(path).read() == 'a 2\nb 1 3\n'
    assert read_cls_label_file(path, num_classes=4) == {'a': [2], 'b': [1, 3]}


def test_comments_blank_lines_and_empty(tmp_path):
    path = tmp_path / 'l.txt'
    path.write_text('# header\n\na 1\nb\n')
    assert read_cls_label_file(str(path)) == {'a': [1], 'b': []}
    with pytest.raises(ValueError, match=r'l\.txt, line 4: image "b" has no class labels'):
        read_cls_label_file(str(path), allow_empty=False)


def test_range_checked(tmp_path):
    path = tmp_path / 'l.txt'
    path.write_text('a 1 4\n')
    assert read_cls_label_file(str(path), num_classes=5) == {'a': [1, 4]}
    with pytest.raises(ValueError, match=r'line 1: image "a" has class index 4 outside 1\.\.3'):
        read_cls_label_file(str(path), num_classes=4)


def test_mask_reading(tmp_path):
    mask = np.array([[0, 3, 255], [7, 3, 0]], np.uint8)
    Image.fromarray(mask).save(tmp_path / 'gray.png')
    img = Image.fromarray(mask)
    img.putpalette([0, 0, 0] * 256)
    img.save(tmp_path / 'pal.png')
    for name in ('gray.png', 'pal.png'):
        np.testing.assert_array_equal(read_index_mask(str(tmp_path / name)), mask)
        assert cls_labels_from_mask(str(tmp_path / name), num_classes=8) == [3, 7]
    with pytest.raises(FileNotFoundError, match='none.png'):
        read_index_mask(str(tmp_path / 'none.png'))
