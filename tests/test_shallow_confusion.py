"""Confusion matrices and the upper-body summary of the Fashion-MNIST chapter (osa_lib.book.shallow_chapter.shallow_confusion),
on hand-made cluster × class tables."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.book.shallow_chapter import shallow_confusion as sc

# One seed, 3 clusters x 4 classes (classes 0 and 2 form the "group" below):
#   cluster 0: mostly class 0, some of class 2   -> leads class 0
#   cluster 1: mostly class 1                     -> leads class 1
#   cluster 2: class 2 and class 3, more of 3     -> leads class 3, so class 2 leads nothing
TABLE = np.array([[8, 0, 4, 0],
                  [1, 9, 0, 0],
                  [1, 1, 6, 10]])


def test_majority_classes_and_clusters_led():
    np.testing.assert_array_equal(sc.majority_classes(TABLE), [0, 1, 3])
    np.testing.assert_array_equal(sc.clusters_led(TABLE), [1, 1, 0, 1])
    # an empty cluster leads nothing
    with_empty = np.vstack([TABLE, np.zeros(4, dtype=int)])
    np.testing.assert_array_equal(sc.majority_classes(with_empty), [0, 1, 3, -1])
    np.testing.assert_array_equal(sc.clusters_led(with_empty), [1, 1, 0, 1])


def test_assigned_confusion_pools_seeds_after_mapping():
    conf = sc.assigned_confusion(TABLE)
    # rows: true class; columns: the class of the image's cluster
    np.testing.assert_array_equal(conf, [[8, 1, 0, 1], [0, 9, 0, 1], [4, 0, 0, 6], [0, 0, 0, 10]])
    assert np.trace(conf) == TABLE.max(axis=1).sum()            # the majority accuracy's numerator
    # the same seed with its clusters renumbered pools to the same matrix: cluster ids never meet
    pooled = sc.pooled_confusion([TABLE, TABLE[[2, 0, 1]]])
    np.testing.assert_array_equal(pooled, 2 * conf)
    shares = sc.row_shares(pooled)
    np.testing.assert_allclose(shares.sum(axis=1), 100)
    assert shares[2, 3] == pytest.approx(60)


def test_confusion_tables_read_from_a_record():
    record = {"dataset": "fashion_mnist", "experiment": "kmeans", "confusion_per_seed": [TABLE.tolist()] * 2}
    tables = sc.confusion_tables(record)
    assert len(tables) == 2 and tables[0].dtype == np.int64
    with pytest.raises(ValueError, match="keeps no confusion_per_seed"):
        sc.confusion_tables({"dataset": "mnist", "experiment": "kmeans"})


def test_upper_body_summary_counts_clusters_and_spread():
    s = sc.upper_body_summary([TABLE, TABLE], classes=(0, 2), spread_share=0.25)
    assert s["clusters"] == [1, 1] and s["n_clusters"] == [3, 3]
    assert s["led"] == {0: [1, 1], 2: [0, 0]} and s["absent"] == {0: [0, 0], 2: [1, 1]}
    # 20 images of the group: 8 in a cluster led by their own class (class 0 in cluster 0); 4 of class 2 in
    # cluster 0 (led by class 0, the group); 1 + 1 + 6 elsewhere
    assert s["own"][0] == pytest.approx(8 / 20)
    assert s["group"][0] == pytest.approx(4 / 20)
    assert s["outside"][0] == pytest.approx(8 / 20)
    assert s["own"][0] + s["group"][0] + s["outside"][0] == pytest.approx(1)
    assert s["largest"][0] == [pytest.approx(0.8)] * 2 and s["largest"][2] == [pytest.approx(0.6)] * 2
    assert s["spread"][0] == [1, 1] and s["spread"][2] == [2, 2]     # class 2: 4/10 and 6/10 pass 25 %


def test_the_default_group_is_fashion_mnists_upper_body():
    from osa_lib.data import CLASS_NAMES

    assert [CLASS_NAMES["fashion_mnist"][c] for c in sc.UPPER_BODY] == ["T-shirt/top", "Pullover", "Coat", "Shirt"]


def test_confusion_sentence_names_best_worst_and_largest_confusion():
    shares = sc.row_shares(sc.assigned_confusion(TABLE))
    text = sc.confusion_sentence(shares, ["a", "b", "c", "d"], "The model")
    assert text == ("The model keeps d best (100 % of its images under their own class) and c worst (0 %); "
                    "its largest confusion sends 60 % of the c images to d")


def test_upper_body_text_quotes_the_summary():
    s = sc.upper_body_summary([TABLE, TABLE], classes=(0, 2), spread_share=0.25)
    text = sc.upper_body_text(s, ["a", "b", "c", "d"], "The model")
    assert text.startswith("The model: the 2 classes lead 1.0 of its 3 clusters on average (per seed: 1, 1; "
                           "by class: a 1.0; c 0.0).")
    assert "c in 2 of 2 seeds" in text
    assert "40.0 % land in a cluster led by their own class, 20.0 % in one led by another class of the group" in text
    assert "at least 25 % of them" in text
