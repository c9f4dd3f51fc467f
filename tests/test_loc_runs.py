"""osa_lib.book.loc_chapter (loc_table2, loc_studies): the LOC chapter's runners on tiny synthetic images (no real data), the
numbers its text quotes, Table 2 from their records, and the chapter notebook on real data."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from osa_lib.book.loc_chapter import loc_studies
from osa_lib.book.loc_chapter import loc_table2
from osa_lib.data import flowers
from osa_lib.book.provenance.records import RunResult, load_record, make_record
from osa_lib.book.page.tables import TABLE2_ROWS, paper_results, segmentation_table
from osa_lib.data.flowers import FLOWERS17_OFFLINE_COPY

ROOT = Path(__file__).resolve().parents[1]
SIX = {"pixel_accuracy", "iou", "dice", "pixel_accuracy_band_as_background", "iou_band_as_background",
       "dice_band_as_background"}


def _images(n: int, size: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bright centred squares (flowers) on a dark, noisy background; a one-pixel band around each square."""
    X = (0.25 * rng.random((n, 3, size, size)) + 0.05).astype(np.float32)
    M = np.zeros((n, size, size), np.uint8)
    I = np.zeros((n, size, size), bool)
    a, b = size // 4, 3 * size // 4
    for i in range(n):
        X[i, :, a:b, a:b] = rng.uniform(0.7, 1.0, size=(3, 1, 1))
        M[i, a:b, a:b] = 1
        I[i, a - 1:b + 1, a - 1:b + 1] = True
        I[i, a + 1:b - 1, a + 1:b - 1] = False
    return X, M, I


@pytest.fixture(scope="module")
def data() -> flowers.SegmentationData:
    rng = np.random.default_rng(0)
    X_train, _, _ = _images(16, 16, rng)
    X_val, M_val, I_val = _images(6, 16, rng)
    X_test, M_test, I_test = _images(6, 16, rng)
    return flowers.SegmentationData("flowers17", X_train, X_val, M_val, I_val, X_test, M_test, I_test,
                               {"image_size": 16, "data_root": "synthetic"})


@pytest.fixture(scope="module")
def settings() -> dict:
    return loc_table2.loc_settings("ci", seeds=(0, 1), epochs=2, study_epochs=1, batch_size=8, filters=(4, 4, 4),
                           rho=0.2, rho_values=(0.3, 0.5, 0.7))


@pytest.fixture(scope="module")
def table2(data, settings, tmp_path_factory) -> tuple[Path, dict[str, RunResult]]:
    results = tmp_path_factory.mktemp("results")
    loc = loc_table2.run_loc(data, seeds=settings["seeds"], profile="ci", loc_params=loc_table2.loc_kwargs(settings, normalization="border"),
                     results_dir=results, progress=False)
    untrained = loc_table2.run_loc_untrained(data, settings, profile="ci", results_dir=results, progress=False)
    runs = {"loc": loc, "loc_untrained": untrained,
            **loc_table2.run_baselines(data, settings, profile="ci", loc_run=loc, results_dir=results, progress=False)}
    return results, runs


# --------------------------------------------------------------------------- settings

def test_settings_accept_papermill_strings_and_reject_unknown_names():
    s = loc_table2.loc_settings("ci", seeds="[0, 1]", rho_values="[0.2, 0.4]", epochs=3)
    assert s["seeds"] == (0, 1) and s["rho_values"] == (0.2, 0.4) and s["epochs"] == 3
    assert loc_table2.loc_settings("ci", seeds=3)["seeds"] == (3,)
    with pytest.raises(ValueError, match="seeds must be a list"):
        loc_table2.loc_settings("ci", seeds="[0, 1")
    with pytest.raises(ValueError, match="unknown setting"):
        loc_table2.loc_settings("ci", epoch=3)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        loc_table2.loc_settings("ci", epochs=0)
    with pytest.raises(ValueError, match="seeds must not be empty"):
        loc_table2.loc_settings("ci", seeds=[])


def test_progress_follows_the_parameter_and_the_environment(monkeypatch):
    monkeypatch.delenv(loc_table2.PROGRESS_ENV, raising=False)
    assert loc_table2.progress_enabled(True) and not loc_table2.progress_enabled(False)
    monkeypatch.setenv(loc_table2.PROGRESS_ENV, "0")
    assert not loc_table2.progress_enabled(True)
    monkeypatch.setenv(loc_table2.PROGRESS_ENV, "1")
    assert loc_table2.progress_enabled(True)


# --------------------------------------------------------------------------- Table 2 runners

def test_runners_return_run_results_and_write_records(data, settings, table2):
    results, runs = table2
    assert set(runs) == {"loc", "loc_untrained", "kmeans_segmentation", "kmeans_segmentation_loc_k",
                         "kmeans_segmentation_centre", "grabcut"}
    for name, run in runs.items():
        assert isinstance(run, RunResult)
        rec = load_record(results, "ci", "flowers17", name)
        assert rec is not None and rec["metrics"] == run.record["metrics"], name
        assert set(rec["metrics"]) == SIX and rec["seeds"] == [0, 1]       # both trimap conventions
        assert len(run.outputs["masks"]) == 2 and run.outputs["masks"][0].shape == data.M_test.shape
        assert rec["params"]["evaluated_on"] == "test split" and rec["params"]["n_test"] == 6
    loc = runs["loc"]
    assert len(loc.models) == 2 and len(loc.outputs["labels"]) == 2
    assert [m.random_state for m in loc.models] == [0, 1]
    assert loc.record["n_parameters"] == loc.models[0].n_parameters_
    assert {"device", "progress", "random_state"}.isdisjoint(loc.record["params"])


def test_untrained_control_is_the_trained_models_initialisation(table2):
    _, runs = table2
    untrained, loc = runs["loc_untrained"], runs["loc"]
    rec = untrained.record
    assert rec["experiment"] == "loc_untrained" and rec["params"]["epochs"] == 0
    assert rec["params"]["normalization"] == loc.record["params"]["normalization"] == "border"
    assert "untrained" in rec["params"]["note"]
    assert all(m.weight_change_ == 0.0 and m.history_ == [] for m in untrained.models)
    assert all(m.weight_change_ > 0 for m in loc.models)


def test_scores_match_the_masks(data, table2):
    _, runs = table2
    grab = runs["grabcut"]
    for seed_index, masks in enumerate(grab.outputs["masks"]):
        scores = loc_table2.score_masks(data, masks)
        for metric, value in scores.items():
            assert grab.record["metrics"][metric]["per_seed"][seed_index] == pytest.approx(value)
    perfect = loc_table2.score_masks(data, data.M_test)
    assert perfect["iou"] == 1.0 and perfect["iou_band_as_background"] < 1.0       # the band is in the mask
    np.testing.assert_allclose(loc_table2.per_image_iou(data, data.M_test), 1.0)


def test_per_seed_table(table2):
    _, runs = table2
    table = loc_table2.per_seed_table(runs)
    assert list(table.columns) == ["seed 0", "seed 1", "mean", "std"]
    row = table.loc[("grabcut", "iou")]
    assert row["mean"] == round(100 * runs["grabcut"].record["metrics"]["iou"]["mean"], 2)


def test_table2_shows_the_control_row(table2):
    results, runs = table2
    rows = dict(TABLE2_ROWS)
    assert "untrained" in rows["loc_untrained"] and list(rows).index("loc_untrained") == list(rows).index("loc") + 1
    table = segmentation_table(results, build_profile="ci").reset_index()
    control = table[table["method"] == rows["loc_untrained"]]
    assert list(control["metric"]) == ["accuracy", "IoU", "Dice"]
    iou = control[control["metric"] == "IoU"].iloc[0]
    expected = 100 * runs["loc_untrained"].record["metrics"]["iou"]["mean"]
    assert f"{expected:.2f}" in " ".join(map(str, iou.values))                  # this build's run


def test_median_rule_table_and_limits(data, table2):
    _, runs = table2
    table = loc_table2.median_rule_table(data, runs["loc"])
    assert list(table.index) == [0, 1]
    assert np.allclose(table["IoU % (median rule)"],
                       [100 * v for v in runs["loc"].record["metrics"]["iou"]["per_seed"]])
    limits = loc_table2.limits_analysis(data, runs["loc"].outputs["masks"][0], runs["grabcut"].outputs["masks"][0])
    assert limits["iou_loc"].shape == (6,) and 0 <= limits["loc_wins"] <= 1
    assert sorted(limits["worst"]) == list(range(6))
    assert np.all(limits["contrast"] > 1)                       # bright flowers on a dark edge


# --------------------------------------------------------------------------- studies

def test_study_variants_and_rho_study(data, settings, tmp_path):
    variants = loc_studies.open_question_variants(settings)
    assert list(variants) == [label for label, _ in loc_studies.OPEN_QUESTIONS.values()]
    assert variants["wider observer, nf = 32 (edge-centred v)"]["filters"] == (32, 32, 32)
    assert variants["literal: v in [0, 1]"]["normalization"] == "unit"
    two = dict(list(variants.items())[:2])
    study = loc_studies.study_variants(data, two, seed=0, profile="ci", results_dir=tmp_path, progress=False)
    assert isinstance(study, RunResult) and list(study.outputs["table"].index) == list(two)
    assert set(study.outputs["model"]) == set(two) and len(study.models) == 2
    rec = load_record(tmp_path, "ci", "flowers17", "loc_open_questions")
    assert f"{next(iter(two))}__iou" in rec["metrics"]
    pd_table = loc_studies.study_table(rec)
    assert pd_table.loc[next(iter(two)), "iou %"] == pytest.approx(study.outputs["table"].iloc[0]["iou %"])

    base = loc_table2.loc_kwargs(settings, epochs=1, normalization="border")
    rho = loc_studies.rho_study(data, settings, rho_values=(0.3, 0.5, 0.7), seed=0, profile="ci", base=base,
                       results_dir=tmp_path, progress=False)
    rec = load_record(tmp_path, "ci", "flowers17", "loc_rho_study")
    assert list(rec["cluster_histograms"]) == ["rho=0.3", "rho=0.5", "rho=0.7"]
    assert "iou_rho_0.5" in rec["metrics"] and len(rho.models) == 3
    summary = loc_studies.rho_summary(rec)
    assert summary["rho_low"] == 0.3 and summary["rho_high"] == 0.7
    assert summary["clusters_min"] <= summary["clusters_first"] <= summary["clusters_max"]
    assert summary["best_rho"] in (0.3, 0.5, 0.7)


def test_rho_study_has_one_row_per_distinct_rho_smallest_first(data, settings, tmp_path):
    """rho values given twice, unsorted, or equal at 6 digits (was: rows named alike overwrote each other, so
    the table had fewer rows than the record's rho_values and ``rho_summary`` read the wrong rho)."""
    assert loc_studies.rho_label(0.5) == "rho=0.5" and loc_studies.rho_label(1.0, [0.0, 1.0]) == "rho=1"
    near = [0.3, 0.3000001]
    assert loc_studies.rho_label(0.3, near) == "rho=0.3" and loc_studies.rho_label(0.3000001, near) == "rho=0.3000001"
    base = loc_table2.loc_kwargs(settings, epochs=1, normalization="border")
    rho = loc_studies.rho_study(data, settings, rho_values=(0.7, 0.3000001, 0.3, 0.7), seed=0, profile="ci", base=base,
                       results_dir=tmp_path, progress=False)
    names = ["rho=0.3", "rho=0.3000001", "rho=0.7"]
    assert list(rho.outputs["table"].index) == names and len(rho.models) == 3
    rec = load_record(tmp_path, "ci", "flowers17", "loc_rho_study")
    assert rec["params"]["rho_values"] == [0.3, 0.3000001, 0.7] and list(rec["cluster_histograms"]) == names
    summary = loc_studies.rho_summary(rec)
    assert (summary["rho_low"], summary["rho_high"]) == (0.3, 0.7)


def test_rho_summary_by_hand():
    table = {"variant": ["rho=0.1", "rho=0.5", "rho=0.9"], "clusters / image": [2.0, 2.1, 2.3],
             "foreground %": [50.0, 30.0, 10.0], "iou %": [40.0, 60.0, 20.0]}
    rec = {"params": {"rho_values": [0.1, 0.5, 0.9]}, "table": table,
           "cluster_histograms": {"rho=0.1": {"2": 10}, "rho=0.5": {"2": 9, "3": 1}, "rho=0.9": {"2": 7, "3": 3}}}
    s = loc_studies.rho_summary(rec)
    assert s["spearman"] == pytest.approx(1.0) and s["best_rho"] == 0.5 and s["best_iou"] == 60.0
    assert (s["two_min"], s["two_max"]) == (70.0, 100.0)
    assert (s["foreground_first"], s["foreground_last"]) == (50.0, 10.0)


# --------------------------------------------------------------------------- the numbers the text quotes

def _record(experiment, **metrics):
    runs = [{k: v for k, v in metrics.items()}]
    return make_record(experiment=experiment, dataset="flowers17", profile="paper",
                       params={"epochs": 50, "n_train": 100, "batch_size": 64, "n_test": 10, "image_size": 96},
                       seeds=[0], runs=runs, n_parameters=None, wall_time_s=1.0, device="cpu")


def test_chapter_numbers():
    six = lambda a: {m: a for m in SIX}                                              # noqa: E731
    records = {"loc": _record("loc", **six(0.6)), "loc_untrained": _record("loc_untrained", **six(0.1)),
               "kmeans_segmentation": _record("kmeans_segmentation", **six(0.5)),
               "grabcut": _record("grabcut", **six(0.7))}
    records["loc"]["training_per_seed"] = [{"fired_batches": [3, 1, 0]}]
    n = loc_studies.chapter_numbers(records)
    assert n["loc_iou"] == pytest.approx(60.0) and n["loc_iou_std"] == 0.0
    assert n["gain_iou_band_as_background"] == pytest.approx(50.0)
    assert (n["loc_steps_min"], n["loc_steps_max"], n["loc_batches"]) == (4, 4, 2)
    assert n["loc_seeds"] == 1 and n["loc_epochs"] == 50
    assert not any(k.startswith(("oq_", "rho_")) for k in n)                         # no study records given
    assert n["loc_iou_band_as_background"] - n["grabcut_iou_band_as_background"] == pytest.approx(-10.0)
    assert n["loc_dice"] - n["loc_untrained_dice"] == pytest.approx(50.0)
    assert all(n[f"loc_{m}"] > n[f"kmeans_segmentation_{m}"] for m in SIX)
    del records["kmeans_segmentation"]
    assert not any(k.startswith("kmeans_segmentation_") for k in loc_studies.chapter_numbers(records))


def test_records_copy_names_the_copy_each_record_read():
    rec = _record("loc", **{m: 0.5 for m in SIX})
    assert loc_studies.records_copy({"loc": rec}) == FLOWERS17_OFFLINE_COPY            # a record from before the field
    official = dict(rec, data={"copy": "official Oxford 17 archives from http://127.0.0.1/ (images at own sizes)"})
    assert loc_studies.records_copy({"loc": official, "grabcut": official}) == official["data"]["copy"]
    assert loc_studies.records_copy({"loc": rec, "grabcut": official}) == "; ".join(sorted([FLOWERS17_OFFLINE_COPY,
                                                                                  official["data"]["copy"]]))
    assert loc_studies.records_copy({}) == "(no committed record)"


def test_committed_paper_records_support_the_chapter_text():
    """The chapter's prose states these qualitative facts about the committed paper-profile records."""
    records = loc_studies.load_chapter_records(ROOT / "results", "paper", "flowers17")
    if set(records) != {*loc_table2.TABLE2_EXPERIMENTS, "loc_open_questions", "loc_rho_study"}:
        pytest.fail(f"paper-profile records missing: {sorted(set(loc_table2.TABLE2_EXPERIMENTS) - set(records))}")
    n = loc_studies.chapter_numbers(records)
    paper = {m: float(v) for m, v in paper_results()["table2"]["rows"]["loc"].items() if m != "method"}
    assert n["oq_literal_steps"] == 0 and n["oq_literal_weight_change"] == 0       # "exactly the random network"
    assert n["oq_conv_error_last"] > n["oq_image_error_last"] and n["oq_conv_iou"] < 5
    assert n["oq_border_iou"] > n["oq_image_iou"] and n["oq_border_iou"] > n["oq_batch_iou"]
    assert n["oq_nohinge_error_last"] < n["oq_border_error_last"]
    assert all(n[f"loc_{m}"] > paper[m] for m in paper)                               # band ignored: above the paper
    assert n["loc_pixel_accuracy_band_as_background"] > paper["pixel_accuracy"]
    assert n["loc_iou_band_as_background"] < paper["iou"] and n["loc_dice_band_as_background"] < paper["dice"]
    assert all(n[f"loc_{m}"] > n[f"kmeans_segmentation_{m}"] for m in SIX)         # above K-means, both ways
    assert all(n[f"loc_{m}"] < n[f"grabcut_{m}"] for m in SIX)                      # GrabCut above everywhere
    assert n["gain_iou"] > 0 and n["gain_iou_band_as_background"] > 0
    assert n["rho_spearman"] > 0.5 and n["rho_clusters_max"] - n["rho_clusters_min"] < 0.5
    assert n["oq_wide_iou"] > n["oq_border_iou"]


# --------------------------------------------------------------------------- the chapter

@pytest.mark.slow
@pytest.mark.skipif(not (Path(os.environ.get("OSA_DATA_DIR", "/nonexistent")) / "flowers17" / "trimaps").is_dir(),
                    reason="OSA_DATA_DIR with flowers17 is needed")
def test_loc_notebook_runs_with_tiny_parameters(tmp_path):
    pm = pytest.importorskip("papermill")
    results = tmp_path / "results"
    pm.execute_notebook(str(ROOT / "notebooks" / "loc.ipynb"), str(tmp_path / "out.ipynb"),
                        cwd=str(ROOT / "notebooks"),
                        parameters={"profile": "ci", "results_dir": str(results), "n_train": 48, "n_test": 16,
                                    "n_val": 16, "image_size": 32, "epochs": 1, "study_epochs": 1,
                                    "rho_values": "[0.3, 0.5]", "seeds": [0]},
                        progress_bar=False, kernel_name="python3")
    for experiment in ("loc", "loc_untrained", "kmeans_segmentation", "grabcut"):
        record = json.loads((results / "ci" / "flowers17" / f"{experiment}.json").read_text())
        assert record["seeds"] == [0] and set(record["metrics"]) == SIX, experiment
        assert record["data"]["copy"], experiment                      # every record names its copy
    rho = json.loads((results / "ci" / "flowers17" / "loc_rho_study.json").read_text())
    assert rho["params"]["rho_values"] == [0.3, 0.5] and "iou_rho_0.5" in rho["metrics"]
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert not any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs)  # no tqdm


def test_data_table_reads_as_words_without_the_data_root():
    from osa_lib.book.loc_chapter.loc_studies import data_table

    table = data_table({"data_root": "/somewhere/flowers17", "copy": "offline copy", "image_size": 96,
                        "n_train": 1106, "n_val": 592, "n_test": 254, "test_ids_sha256": "f1034198"})
    assert list(table.columns) == ["", "this run's data"]
    cells = dict(zip(table[""], table["this run's data"]))
    assert cells["training images"] == "1,106" and cells["copy of the data"] == "offline copy"
    assert "/somewhere" not in table.to_string() and "trimaps.tgz (sha256)" not in cells


# --------------------------------------------------------------------------- the page's exhibits from records

def test_study_frame_reads_a_study_record_in_words():
    records = loc_studies.load_chapter_records(ROOT / "results", "paper", "flowers17")
    oq = records["loc_open_questions"]
    labels = [label for label, _ in loc_studies.OPEN_QUESTIONS.values()]
    training = loc_studies.study_frame(oq, loc_studies.TRAINING_COLUMNS)
    assert list(training["variant"]) == [loc_studies.variant_name(v) for v in labels]
    assert list(training.columns[1:]) == [loc_studies.STUDY_HEADERS[c] for c in loc_studies.TRAINING_COLUMNS]
    assert not any("_" in c or "%" == c[-1] for c in training.columns)                 # no record keys
    two = loc_studies.study_frame(oq, loc_studies.RESULT_COLUMNS, rows=[labels[2], labels[0]])
    assert list(two["variant"]) == ["v centred on the edge colour", "literal reading: v in [0, 1]"]
    assert two["IoU (%)"].iloc[0] == pytest.approx(loc_studies.study_table(oq).loc[labels[2], "iou %"])
    rho = loc_studies.study_frame(records["loc_rho_study"], ["clusters / image"], row_header="ρ")
    assert rho["ρ"].iloc[0] == "ρ = 0.1" and loc_studies.variant_name("rho=0.3000001") == "ρ = 0.3000001"


def test_records_per_seed_table_follows_table2_order():
    six = lambda a: {m: a for m in SIX}                                              # noqa: E731
    records = {"grabcut": _record("grabcut", **six(0.7)), "loc": _record("loc", **six(0.6))}
    table = loc_table2.records_per_seed_table(records, ["iou"])
    assert list(table["method"]) == [dict(TABLE2_ROWS)["loc"], dict(TABLE2_ROWS)["grabcut"]]
    assert list(table["metric"]) == ["IoU %", "IoU %"] and list(table["seed 0"]) == [60.0, 70.0]


def test_curves_and_cluster_shares_from_records():
    rec = {"seeds": [0, 1], "clusters_per_seed": [{"histogram": {"2": 3, "3": 1}}, {"histogram": {"2": 4}}],
           "training_per_seed": [{"active_share": [1.0, 0.5], "mean_error": [0.6, 0.4]},
                                 {"active_share": [0.8, 0.0], "mean_error": [0.5, 0.45]}]}
    untrained = {"seeds": [0], "training_per_seed": [{"active_share": [], "mean_error": []}]}
    active, error = loc_studies.training_curves_from_records({"loc": rec, "loc_untrained": untrained},
                                                    {"loc": "working", "loc_untrained": "control"})
    assert list(active) == ["working, seed 0", "working, seed 1"] and error["working, seed 1"] == [0.5, 0.45]
    assert loc_studies.many_clusters_share(rec) == [25.0, 0.0] and loc_studies.many_clusters_share({}) == []


def test_data_numbers_and_the_records_data_table(data):
    n = loc_studies.data_numbers(data, rho=0.5)
    assert (n["n_train"], n["n_val"], n["n_test"], n["size"]) == (16, 6, 6, 16)
    assert n["background"] + n["flower"] == pytest.approx(100) and 50 < n["background"] < 90
    assert n["energy_min"] <= n["energy_median"] <= n["energy_max"] and 0 <= n["energy_above"] <= 100
    table = loc_studies.data_table({"image_size": 96, "n_test": 254}, column="the records' data")
    assert list(table.columns) == ["", "the records' data"]


def test_load_record_split_refuses_another_split(tmp_path):
    assert loc_studies.load_record_split({"dataset": "flowers17", "data": {"image_size": 16}}, tmp_path / "none") is None


def test_folder_checksums_show_in_the_data_table_and_guard_the_records_split(tmp_path):
    from test_segmentation_data import build_fake_flowers17

    build_fake_flowers17(tmp_path)
    data = flowers.load_segmentation_data("flowers17", tmp_path, image_size=8, n_train=4, n_val=2, n_test=2,
                                     progress=False)
    cells = dict(zip(*loc_studies.data_table(data.provenance).to_dict("list").values()))
    digest = data.provenance["folders_sha256"]["trimaps"]
    assert cells["trimaps/ folder (files; sha256 of its sha256sum manifest)"] == f"7 files; {digest['sha256'][:16]}"
    record = {"dataset": "flowers17", "data": dict(data.provenance)}
    assert loc_studies.load_record_split(record, tmp_path) is not None                     # same files, same split
    other = {**data.provenance["folders_sha256"], "trimaps": {**digest, "sha256": "0" * 64}}
    changed = {"dataset": "flowers17", "data": {**data.provenance, "folders_sha256": other}}
    assert loc_studies.load_record_split(changed, tmp_path) is None                         # other files: no numbers
