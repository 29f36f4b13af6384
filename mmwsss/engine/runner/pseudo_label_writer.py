# Copyright (c) mmwsss contributors. All rights reserved.
"""Turns one image's localization maps into the stage's files: stored maps and pseudo label."""

import os
import tempfile
from typing import Optional, Sequence, Tuple

import numpy as np

from mmwsss.datasets.stage_files import (
    is_complete_npz,
    is_complete_png,
    label_path,
    load_maps,
    map_path,
    maps_to_uint8,
    remove_tmp_files,
    save_label_png,
    save_maps,
    uint8_to_maps,
)
from mmwsss.pseudo_labels import generate_pseudo_label, uses_crf

__all__ = ['PseudoLabelWriter']

_NAME = 'PseudoLabelWriter'


class PseudoLabelWriter:
    """Writes the stored maps and the pseudo label of an image, each file atomically.

    The maps are stored as uint8 (round(map x 255), see :mod:`mmwsss.datasets.stage_files`); the
    label is made by :func:`mmwsss.pseudo_labels.generate_pseudo_label` from those uint8 maps, so
    that a missing label can be remade from the stored maps bit for bit, or, with
    ``labels_from_raw_maps``, from the model's float maps as they are (refined maps may exceed 1,
    and the official pseudo-label script compares those raw scores); such a label is never remade
    from the stored maps, which are clipped to [0, 1].

    Args:
        maps_dir (str, optional): Folder of the maps; None writes no maps.
        labels_dir (str, optional): Folder of the labels; None writes no labels.
        num_classes (int): Classes with background.
        palette (Sequence[int]): The labels' PNG palette (768 values).
        pseudo_label_cfg (dict): The label rule, e.g. ``dict(mode='saliency')``.
        labels_from_raw_maps (bool): See above. Defaults to False.
    """

    def __init__(
        self,
        maps_dir: Optional[str],
        labels_dir: Optional[str],
        num_classes: int,
        palette: Sequence[int],
        pseudo_label_cfg: dict,
        labels_from_raw_maps: bool = False,
    ) -> None:
        self.maps_dir = maps_dir
        self.labels_dir = labels_dir
        self.num_classes = num_classes
        self.palette = list(palette)
        self.pseudo_label_cfg = pseudo_label_cfg
        self.labels_from_raw_maps = labels_from_raw_maps

    @property
    def needs_saliency(self) -> bool:
        """Whether labels are made with the saliency rule."""
        return self.labels_dir is not None and self.pseudo_label_cfg.get('mode') == 'saliency'

    @property
    def needs_image(self) -> bool:
        """Whether labels are made with a dense CRF, which reads the image."""
        return self.labels_dir is not None and uses_crf(self.pseudo_label_cfg)

    @property
    def folders(self) -> list:
        return [d for d in (self.maps_dir, self.labels_dir) if d is not None]

    def check(self) -> None:
        """Make the folders, check they are writable and that the label rule is valid."""
        for folder in self.folders:
            try:
                os.makedirs(folder, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=folder, prefix='.write-test-')
                os.close(fd)
                os.remove(probe)
            except OSError as e:
                raise OSError(
                    f'{_NAME}: cannot write to the output folder {folder}: '
                    f'{e.strerror or e}. Choose another out_dir.'
                ) from e
        if self.labels_dir is None:
            return
        probe_sal = np.zeros((2, 2), np.uint8) if self.needs_saliency else None
        probe_img = np.zeros((2, 2, 3), np.uint8) if self.needs_image else None
        try:
            # also fails here, before any work, without the CRF extra (ImportError, not caught)
            generate_pseudo_label(
                np.zeros((self.num_classes - 1, 2, 2), np.float32),
                self.pseudo_label_cfg,
                saliency=probe_sal,
                image=probe_img,
            )
        except (ValueError, TypeError) as e:
            raise ValueError(
                f'{_NAME}: invalid pseudo_label_cfg {self.pseudo_label_cfg!r}: {e}'
            ) from e

    def missing(self, img_id: str) -> Tuple[bool, bool]:
        """Whether the map / label of an image still has to be written (absent or incomplete)."""
        need_map = self.maps_dir is not None and not is_complete_npz(
            map_path(self.maps_dir, img_id)
        )
        need_label = self.labels_dir is not None and not is_complete_png(
            label_path(self.labels_dir, img_id)
        )
        return need_map, need_label

    def needs_model(self, need_map: bool) -> bool:
        """Whether a missing file of an image needs the model (else the label comes from the
        stored maps)."""
        return need_map or self.maps_dir is None or self.labels_from_raw_maps

    def write(
        self,
        img_id: str,
        maps: np.ndarray,
        labels: np.ndarray,
        need: Tuple[bool, bool],
        saliency: Optional[np.ndarray] = None,
        image: Optional[np.ndarray] = None,
    ) -> None:
        """Write the files of one image the model has just mapped.

        Args:
            img_id (str): The image id.
            maps (np.ndarray): float (n, H, W), the maps of its n classes at the original size.
            labels (np.ndarray): int64 (n,), the classes 1..C-1.
            need (tuple[bool, bool]): Which of map and label to write.
            saliency (np.ndarray, optional): uint8 (H, W), for the saliency rule.
            image (np.ndarray, optional): RGB uint8 (H, W, 3), for a CRF.
        """
        stored = maps_to_uint8(maps)
        if need[0]:
            save_maps(map_path(self.maps_dir, img_id), stored, labels)
        if need[1]:
            self._write_label(
                img_id, maps if self.labels_from_raw_maps else stored, labels, saliency, image
            )

    def write_from_stored(
        self,
        img_id: str,
        labels: Sequence[int],
        saliency: Optional[np.ndarray] = None,
        image: Optional[np.ndarray] = None,
    ) -> bool:
        """Remake the label of an image from its stored maps.

        Returns:
            bool: False (nothing written) when the stored maps are of other classes than
            ``labels`` (another dataset version): both files must then be made again.
        """
        maps, stored_labels = load_maps(map_path(self.maps_dir, img_id))
        if stored_labels.tolist() != list(labels):
            return False
        self._write_label(img_id, maps, stored_labels, saliency, image)
        return True

    def _write_label(
        self,
        img_id: str,
        maps: np.ndarray,
        labels: np.ndarray,
        saliency: Optional[np.ndarray],
        image: Optional[np.ndarray],
    ) -> None:
        """Label from uint8 (stored) or float (raw) maps (n, H, W) of the classes ``labels``."""
        height, width = maps.shape[1:]
        if saliency is not None and saliency.shape != (height, width):
            raise ValueError(
                f'{_NAME}: the saliency map of {img_id} is {saliency.shape} (H, W) '
                f'but its maps are {(height, width)}.'
            )
        if image is not None and image.shape[:2] != (height, width):
            raise ValueError(
                f'{_NAME}: image {img_id} is {image.shape[:2]} (H, W) but its maps '
                f'are {(height, width)}.'
            )
        dense = np.zeros((self.num_classes - 1, height, width), np.float32)
        dense[labels - 1] = uint8_to_maps(maps) if maps.dtype == np.uint8 else maps
        label = generate_pseudo_label(
            dense, self.pseudo_label_cfg, saliency=saliency, cls_labels=labels.tolist(), image=image
        )
        save_label_png(label_path(self.labels_dir, img_id), label, self.palette)

    def remove_tmp_files(self) -> None:
        """Delete the temporary files a killed run left (call when every writer is done)."""
        for folder in self.folders:
            remove_tmp_files(folder)
