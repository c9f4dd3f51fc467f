"""osa_lib.book.loc_chapter.loc_studies: the LOC chapter's study variants and the numbers its text quotes, read from tiny
records made by the test (no images, no training)."""
from __future__ import annotations

import pytest

from osa_lib.book.loc_chapter import loc_studies as ls
from osa_lib.data.flowers17 import FLOWERS17_OFFLINE_COPY

SETTINGS = {"rho": 0.5, "epochs": 50, "study_epochs": 7, "batch_size": 16, "lr": 1e-3, "betas": [0.9, 0.999],
            "kernel_sizes": [3, 3], "strides": [1, 2], "filters": [8, 16]}


def test_open_question_variants_change_only_what_their_label_says():
    variants = ls.open_question_variants(SETTINGS)
    assert list(variants) == [label for label, _ in ls.OPEN_QUESTIONS.values()]
    assert all(kw["epochs"] == 7 for kw in variants.values())          # the study's epochs, not Table 4's
    wide = variants["wider observer, nf = 32 (edge-centred v)"]
    assert wide["filters"] == (32, 32) and wide["normalization"] == "border" and "wide" not in wide
    assert variants["no hinge, rho = 0 (edge-centred v)"]["rho"] == 0.0
    assert variants["literal: v in [0, 1]"]["rho"] == 0.5 and variants["literal: v in [0, 1]"]["filters"] == (8, 16)


def test_rho_labels_are_short_unless_two_values_would_read_the_same():
    assert ls.rho_label(0.3) == "rho=0.3"
    assert ls.rho_label(0.3000001) == "rho=0.3"                            # alone: six significant digits
    # two values that read the same at six digits: each in full
    assert ls.rho_label(0.3000001, [0.3, 0.3000001]) == "rho=0.3000001"
    assert ls.rho_label(0.3, [0.3, 0.3000001]) == "rho=0.3" and ls.rho_label(0.25, [0.3, 0.3000001]) == "rho=0.25"
    assert ls.variant_name("rho=0.25") == "ρ = 0.25"
    assert ls.variant_name("literal: v in [0, 1]") == "literal reading: v in [0, 1]"
    assert ls.variant_name("something else") == "something else"


def rho_record():
    table = {"variant": ["rho=0.1", "rho=0.5", "rho=0.9"], "clusters / image": [2.0, 2.5, 4.0],
             "foreground %": [40.0, 35.0, 20.0], "iou %": [50.0, 60.0, 55.0], "pixel_accuracy %": [70.0, 75, 72],
             "dice %": [60.0, 65.0, 62.0]}
    return {"params": {"rho_values": [0.1, 0.5, 0.9]}, "table": table,
            "cluster_histograms": {"rho=0.1": {"2": 8, "3": 2}, "rho=0.5": {"2": 5, "4": 5},
                                   "rho=0.9": {"3": 10}}}


def test_rho_summary_reads_trend_flower_share_and_best_rho():
    s = ls.rho_summary(rho_record())
    assert (s["rho_low"], s["rho_high"], s["clusters_first"], s["clusters_last"]) == (0.1, 0.9, 2.0, 4.0)
    assert (s["two_min"], s["two_max"]) == (0.0, 80.0)
    assert s["spearman"] == pytest.approx(1.0)
    assert (s["best_rho"], s["best_iou"], s["foreground_first"], s["foreground_last"]) == (0.5, 60.0, 40.0, 20.0)
    flat = rho_record()
    flat["table"]["clusters / image"] = [2.0, 2.0, 2.0]
    assert ls.rho_summary(flat)["spearman"] == 0.0                       # undefined: reads 0


def test_study_frame_picks_rows_in_order_and_names_them_in_words():
    frame = ls.study_frame(rho_record(), ["clusters / image", "iou %"], rows=["rho=0.9", "rho=0.1", "rho=7"],
                           row_header="ρ")
    assert list(frame.columns) == ["ρ", "clusters per image", "IoU (%)"]
    assert frame["ρ"].tolist() == ["ρ = 0.9", "ρ = 0.1"] and frame["IoU (%)"].tolist() == [55.0, 50.0]
    assert ls.study_table(rho_record()).index.name == "variant"


def test_records_copy_names_the_data_copy_of_every_record():
    assert ls.records_copy({}) == "(no committed record)"
    assert ls.records_copy({"loc": {"dataset": "flowers17"}}) == FLOWERS17_OFFLINE_COPY
    mixed = {"a": {"data": {"copy": "download"}}, "b": {"data": {"copy": "download"}}, "c": {"dataset": "x"}}
    assert ls.records_copy(mixed) == "copy the record does not name; download"


def test_data_table_keeps_known_rows_with_counts_as_integers():
    table = ls.data_table({"copy": "download", "n_train": 1106, "root": "/secret/path", "n_test": None})
    assert table.values.tolist() == [["copy of the data", "download"], ["training images", "1,106"]]
    assert list(table.columns) == ["", "this run's data"]


def test_training_curves_and_the_many_clusters_share():
    loc = {"seeds": [0, 1], "training_per_seed": [{"active_share": [1.0, 0.5], "mean_error": [0.3, 0.2]},
                                                   {"active_share": [], "mean_error": []}]}
    active, error = ls.training_curves_from_records({"loc": loc, "loc_untrained": {"seeds": [0]}})
    assert active == {"working LOC, seed 0": [1.0, 0.5]} and error == {"working LOC, seed 0": [0.3, 0.2]}
    rec = {"clusters_per_seed": [{"histogram": {"1": 1, "2": 5, "3": 3, "5": 1}}, {"histogram": {"2": 4}}]}
    assert ls.many_clusters_share(rec) == [40.0, 0.0] and ls.many_clusters_share({}) == []


def _metric(mean, std=0.0):
    return {"mean": mean, "std": std, "per_seed": [mean]}


def test_chapter_numbers_flattens_table2_gains_and_the_studies():
    loc = {"metrics": {"iou": _metric(0.6, 0.01)}, "seeds": [0, 1, 2],
           "params": {"epochs": 50, "n_train": 100, "batch_size": 16, "image_size": 64},
           "training_per_seed": [{"fired_batches": [3, 4]}, {"fired_batches": [7, 0]}]}
    untrained = {"metrics": {"iou": _metric(0.5)}, "seeds": [0], "params": {}}
    oq = {"table": {"variant": ["literal: v in [0, 1]"], **{c: [1.5] for c in ls.STUDY_COLUMNS.values()}}}
    out = ls.chapter_numbers({"loc": loc, "loc_untrained": untrained, "loc_open_questions": oq,
                              "loc_rho_study": rho_record()})
    assert out["loc_iou"] == pytest.approx(60.0) and out["loc_iou_std"] == pytest.approx(1.0)
    assert (out["loc_seeds"], out["loc_epochs"], out["loc_image_size"]) == (3, 50, 64)
    assert (out["loc_steps_min"], out["loc_steps_max"], out["loc_batches"]) == (7, 7, 7)
    assert out["gain_iou"] == pytest.approx(10.0)
    assert out["oq_literal_clusters"] == 1.5 and "oq_image_clusters" not in out
    assert out["rho_best_rho"] == 0.5
    assert ls.chapter_numbers({}) == {}
