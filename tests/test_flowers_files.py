"""osa_lib.data.flowers_files: image and label readers, the segmim background rule and the shared
SegmentationSource interface, on tiny images written by the test."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from osa_lib.data import flowers_files as ff


def test_size_tuple_accepts_an_int_or_a_pair():
    assert ff.size_tuple(None) is None
    assert ff.size_tuple(8) == (8, 8) and ff.size_tuple(np.int64(4)) == (4, 4) and ff.size_tuple([3, 5]) == (3, 5)
    for bad in (0, (2, 0), (1, 2, 3)):
        with pytest.raises(ValueError, match="size must be a positive int or"):
            ff.size_tuple(bad)


def test_read_rgb_converts_and_resizes_to_height_width(tmp_path):
    grey = np.tile(np.arange(0, 250, 50, dtype=np.uint8), (4, 1))       # (4, 5) grey ramp
    Image.fromarray(grey, mode="L").save(tmp_path / "g.png")
    rgb = ff.read_rgb(tmp_path / "g.png", None)
    assert rgb.shape == (4, 5, 3) and rgb.dtype == np.uint8 and (rgb[..., 0] == grey).all()
    assert ff.read_rgb(tmp_path / "g.png", (2, 3)).shape == (2, 3, 3)


def test_read_labels_keeps_palette_indices_and_refuses_colour_images(tmp_path):
    labels = np.array([[0, 1, 1, 0], [2, 2, 1, 0]], dtype=np.uint8)
    im = Image.fromarray(labels, mode="P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
    im.save(tmp_path / "l.png")
    assert (ff.read_labels(tmp_path / "l.png", None) == labels).all()
    small = ff.read_labels(tmp_path / "l.png", (1, 2))
    assert small.shape == (1, 2) and set(np.unique(small)) <= {0, 1, 2}        # nearest: no blended label
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "c.png")
    with pytest.raises(ValueError, match="expected an 8-bit palette or grey label image, got mode RGB"):
        ff.read_labels(tmp_path / "c.png", None)


def test_resize_mask_is_nearest_neighbour():
    mask = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    assert ff.resize_mask(mask, None) is mask
    big = ff.resize_mask(mask, (4, 6))
    assert big.shape == (4, 6) and set(np.unique(big)) == {0, 1}


def test_segmim_background_is_a_colour_distance_to_the_painted_blue():
    segmim = np.array([[[0, 0, 254], [20, 20, 230], [60, 30, 200], [255, 255, 255]]], dtype=np.uint8)
    assert ff.segmim_background(segmim).tolist() == [[True, True, False, False]]   # dark purple stays flower
    assert ff.segmim_background(segmim, tolerance=0).tolist() == [[True, False, False, False]]
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        ff.segmim_background(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="tolerance"):
        ff.segmim_background(segmim, tolerance=-1)


class Toy(ff.SegmentationSource):
    """Three 2x2 images; image 12 has no mask; image 11 has a band (ignore) where the others have none."""

    name = "toy"

    def __init__(self, size=(2, 2)):
        self.ids, self.size = [10, 11, 12], size

    def _load(self, image_id):
        img = np.full((3, 2, 2), image_id, np.float32)
        mask = None if image_id == 12 else np.full((2, 2), image_id % 2, np.uint8)
        ignore = np.ones((2, 2), bool) if image_id == 11 else None
        return img, mask, ignore

    def copy_description(self):
        return "toy copy"


def test_the_source_interface_indexes_stacks_and_names_its_copy():
    ds = Toy()
    assert len(ds) == 3 and ds[-1][0][0, 0, 0] == 12 and ds.has_mask(0)
    with pytest.raises(IndexError, match="index 3 out of range for 3 images"):
        ds[3]
    X, M, I = ds.load_arrays([0, 1])
    assert X.shape == (2, 3, 2, 2) and M.tolist() == [[[0, 0], [0, 0]], [[1, 1], [1, 1]]]
    assert I.tolist() == [[[False] * 2] * 2, [[True] * 2] * 2]            # a missing band reads as none
    assert ds.load_arrays([0])[2] is None                                  # no band anywhere: no ignore array
    with pytest.raises(ValueError, match="image 12 has no ground-truth mask"):
        ds.load_arrays()
    X, M, I = ds.load_arrays(require_masks=False)
    assert X.shape == (3, 3, 2, 2) and M is None and I is None
    assert ds.load_arrays([])[0].shape == (0, 3, 2, 2)
    assert ds.source_provenance() == {"copy": "toy copy"}
    with pytest.raises(ValueError, match="needs a fixed size"):
        Toy(size=None).load_arrays()
