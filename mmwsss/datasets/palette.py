# Copyright (c) mmwsss contributors. All rights reserved.
"""The PASCAL VOC colour map, extended to any number of classes."""

from typing import List


def voc_colormap(num_classes: int = 256) -> List[List[int]]:
    """PASCAL VOC's label colour map: class ``i``'s bits spread over the RGB high bits.

    The first 21 entries are the VOC palette (background black, aeroplane (128, 0, 0), ...); index
    255 of a 256-entry map is (224, 224, 192), VOC's ignore colour.

    Args:
        num_classes (int): Number of entries. Defaults to 256.

    Returns:
        list[list[int]]: ``num_classes`` RGB triples.
    """
    colours = []
    for i in range(num_classes):
        r = g = b = 0
        c = i
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        colours.append([r, g, b])
    return colours
