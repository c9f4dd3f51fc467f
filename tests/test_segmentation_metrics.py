"""Segmentation metrics of appendix A (eq 23-25) on hand-made masks."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.metrics import segmentation_scores, segmentation_scores_per_image

# 2 x 3 masks, worked out by hand
TRUE = np.array([[1, 1, 0],
                 [0, 0, 0]])
PRED = np.array([[1, 0, 0],
                 [0, 1, 0]])
# intersection 1, union 3, |y| = 2, |y_hat| = 2, 4 of 6 pixels agree


def test_hand_computed_scores():
    s = segmentation_scores(TRUE, PRED)
    assert s == pytest.approx({"pixel_accuracy": 4 / 6, "iou": 1 / 3, "dice": 2 * 1 / 4})


def test_perfect_and_inverted():
    assert segmentation_scores(TRUE, TRUE) == {"pixel_accuracy": 1.0, "iou": 1.0, "dice": 1.0}
    s = segmentation_scores(TRUE, 1 - TRUE)
    assert s == {"pixel_accuracy": 0.0, "iou": 0.0, "dice": 0.0}


def test_both_empty_scores_one_and_one_empty_scores_zero():
    empty = np.zeros((4, 4), dtype=np.uint8)
    full = np.ones((4, 4), dtype=np.uint8)
    assert segmentation_scores(empty, empty) == {"pixel_accuracy": 1.0, "iou": 1.0, "dice": 1.0}
    s = segmentation_scores(empty, full)
    assert s["pixel_accuracy"] == 0.0 and s["iou"] == 0.0 and s["dice"] == 0.0
    s = segmentation_scores(full, empty)
    assert s["iou"] == 0.0 and s["dice"] == 0.0


def test_mean_over_images_not_pooled():
    # image 1: 1 of 1 foreground pixel found in a 1x4 image; image 2: both masks empty
    y = np.array([[[1, 0, 0, 0]], [[0, 0, 0, 0]]])
    p = np.array([[[1, 1, 1, 0]], [[0, 0, 0, 0]]])
    per = segmentation_scores_per_image(y, p)
    np.testing.assert_allclose(per["iou"], [1 / 3, 1.0])
    np.testing.assert_allclose(per["dice"], [2 / 4, 1.0])
    np.testing.assert_allclose(per["pixel_accuracy"], [2 / 4, 1.0])
    s = segmentation_scores(y, p)
    assert s["iou"] == pytest.approx((1 / 3 + 1) / 2)
    assert s["pixel_accuracy"] == pytest.approx(0.75)


def test_ignore_mask_removes_pixels_from_both_masks():
    ignore = np.array([[0, 1, 0],
                       [0, 1, 0]], dtype=bool)
    # left: true (1,0,0 | 0,0) pred (1,0,0 | 0,0) over the scored pixels -> perfect
    s = segmentation_scores(TRUE, PRED, ignore_mask=ignore)
    assert s == {"pixel_accuracy": 1.0, "iou": 1.0, "dice": 1.0}
    # an ignore mask of zeros changes nothing
    assert segmentation_scores(TRUE, PRED, np.zeros_like(ignore)) == pytest.approx(segmentation_scores(TRUE, PRED))


def test_ignore_leaves_both_empty_scores_one():
    y = np.array([[1, 0], [0, 0]])
    p = np.array([[0, 0], [0, 0]])
    ignore = np.array([[1, 0], [0, 0]], dtype=bool)
    assert segmentation_scores(y, p, ignore) == {"pixel_accuracy": 1.0, "iou": 1.0, "dice": 1.0}


def test_bool_and_float_masks_accepted():
    s1 = segmentation_scores(TRUE.astype(bool), PRED.astype(bool))
    s2 = segmentation_scores(TRUE.astype(float), PRED.astype(np.float32))
    assert s1 == pytest.approx(s2)
    assert all(isinstance(v, float) for v in s1.values())


@pytest.mark.parametrize("y,p,ignore,message", [
    (np.zeros((2, 3)), np.zeros((3, 2)), None, "differ in shape"),
    (np.zeros(5), np.zeros(5), None, "must have shape"),
    (np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 2)), None, "must have shape"),
    (np.array([[0, 2]]), np.array([[0, 1]]), None, "binary"),
    (np.array([[0, 1]]), np.array([[0.5, 1]]), None, "binary"),
    (np.zeros((0, 2, 2)), np.zeros((0, 2, 2)), None, "empty"),
    (np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((3, 3), bool), "ignore_mask must have"),
    (np.zeros((2, 2)), np.zeros((2, 2)), np.ones((2, 2), bool), "every pixel"),
    (np.array([["a", "b"]]), np.array([[0, 1]]), None, "0/1"),
])
def test_bad_inputs_raise_value_error_naming_the_problem(y, p, ignore, message):
    with pytest.raises(ValueError, match=message):
        segmentation_scores(y, p, ignore)
