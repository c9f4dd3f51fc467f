"""The compact tables of the front pages, the budget column and the overview figure, from synthetic records."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from osa_lib.book.summary import overview, report
from osa_lib.book.provenance import records
from osa_lib.book.page import tables  # noqa: E402
from test_report import write  # noqa: E402  (one synthetic-record helper for both files)


@pytest.mark.parametrize("params, extra, paper_epochs, expected", [
    ({"epochs": 20, "n_train": 60000}, None, 20, "2 · 20 · 60k"),
    ({"epochs": 10, "n_train": 60000}, None, 500, "2 · 10 of 500 · 60k"),
    ({"n_train": 1106}, None, None, "2 · — · 1,106"),
    ({"epochs": 500, "n_train": 60000}, {"seeds_planned": [0, 1, 2, 3, 4], "epochs_per_seed": [500, 500]}, 500,
     "2 of 5 · 500 · 60k"),
])
def test_budget_text(tmp_path, params, extra, paper_epochs, expected):
    rec = write(tmp_path, "shallow_acrbm_10", [0.5, 0.6], params=params, extra=extra)
    assert tables.budget_text(rec, paper_epochs) == expected
    assert tables.budget_text(None) == records.NOT_RUN


def test_record_epochs_prefers_what_the_seeds_ran(tmp_path):
    rec = write(tmp_path, "ae_acrbm_10", [0.5, 0.6], params={"epochs": 500},
                extra={"epochs_per_seed": [500, 350]})
    assert tables.record_epochs(rec) == 350


def test_table1_compact_has_one_budget_column_and_mean_std(tmp_path):
    write(tmp_path, "shallow_acrbm_10", [0.60, 0.62])
    write(tmp_path, "kmeans", [0.55], profile="ci", params={"n_train": 10000})
    table = tables.table1_compact(tmp_path)
    assert list(table.columns) == ["method", "K", "params (paper / ours)", "paper %", "ours %", "gap",
                                   tables.BUDGET_COLUMN]
    row = table.iloc[2]
    assert row["ours %"] == "61.00 ± 1.41"
    assert row[tables.BUDGET_COLUMN] == "2 · 20 · 60k"
    assert row["gap"] == f"{61.0 - float(tables.paper_results()['table1']['rows']['shallow_acrbm_10']['accuracy']):+.2f}"
    assert table.iloc[0]["ours %"] == "55.00 (ci)"               # only this build's run: labelled
    assert table.iloc[1]["ours %"] == records.NOT_RUN
    # no cell repeats the protocol
    assert not table["ours %"].str.contains("ep,").any()


def test_table1_details_and_table2_compact(tmp_path):
    write(tmp_path, "shallow_acrbm_10", [0.60, 0.62], nmi=[0.3, 0.31], accuracy_hungarian=[0.5, 0.52])
    details = tables.table1_details(tmp_path)
    assert details.iloc[2]["NMI %"] == "30.50 ± 0.71"
    assert details.iloc[2]["ARI %"] == "—"
    runs = [{"pixel_accuracy": 0.9, "iou": 0.7, "dice": 0.8, "pixel_accuracy_band_as_background": 0.85,
             "iou_band_as_background": 0.6, "dice_band_as_background": 0.7}] * 2
    rec = records.make_record(experiment="loc", dataset="flowers17", profile="paper",
                              params={"epochs": 50, "n_train": 1106}, seeds=[0, 1], runs=runs, n_parameters=10,
                              wall_time_s=1.0, device="cpu")
    records.write_record(rec, tmp_path)
    t = tables.table2_compact(tmp_path, "flowers17_band")
    assert t.iloc[0]["method"].startswith("paper: K-means")
    loc = t[t["method"].str.startswith("LOC (")].iloc[0]
    assert loc["IoU %"] == "60.00 ± 0.00" and loc[tables.BUDGET_COLUMN] == "2 · 50 · 1,106"
    assert len(t) == len(tables.TABLE2_ROWS) + 2
    with pytest.raises(ValueError, match="unknown Table 2 source"):
        tables.table2_compact(tmp_path, "flowers18")


def test_provenance_table(tmp_path):
    write(tmp_path, "kmeans", [0.5, 0.6], params={"n_train": 60000},
          extra={"data": {"data_root": "/somewhere/data", "sha256": {"a": "1", "b": "2"}}})
    t = tables.provenance_table(tmp_path)
    assert t.iloc[0]["record"] == "mnist/kmeans"
    assert t.iloc[0]["data (sha256)"] == "2 files"
    assert t.iloc[0]["minutes"] == "1.0"


def test_verdict_table_and_figure(tmp_path):
    write(tmp_path, "shallow_acrbm_10", [0.60, 0.62])
    rep = report.reproduction_report(tmp_path)
    html = overview.verdict_table_html(rep, from_page="book/intro")
    # per claim: the claim across the table, its numbers, what they rest on (seeds, epochs, images in words)
    assert html.count('<tr class="osa-claim-row">') == len(rep) and html.count('<tr class="osa-basis">') == len(rep)
    assert html.count("<th>") == len(overview.VERDICT_COLUMNS)
    assert "Trained: 2 seeds × 20 epochs, 60k training images." in html
    assert 'href="../notebooks/shallow_acrbm.html#' in html
    for verdict in set(rep["verdict"]):
        assert verdict.replace("'", "&#x27;") in html
    fig = overview.paper_vs_ours_figure(tmp_path, report=rep)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "Shallow ACRBM (10)" in labels and "LOC: IoU" in labels


def test_table1_shows_the_papers_selection_for_ae_kmeans():
    from osa_lib.book.page.tables import table1_metric

    rec = {"metrics": {"accuracy_majority": {}, "accuracy_majority_best_of_inits": {}}}
    assert table1_metric(rec, "ae_kmeans") == "accuracy_majority_best_of_inits"
    assert table1_metric(rec, "ae_acrbm_10") == "accuracy_majority"
    assert table1_metric({"metrics": {"accuracy_majority": {}}}, "ae_kmeans") == "accuracy_majority"
    assert table1_metric(None, "ae_kmeans") == "accuracy_majority"


def test_budget_in_words():
    assert overview.budget_words("3 of 5 · 500 · 60k; 2 of 5 · — · 60k") == (
        "3 of 5 seeds × 500 epochs, 60k training images; 2 of 5 seeds, 60k training images")
    assert overview.budget_words("1 · 10 of 500 · 1,106") == "1 seed × 10 of 500 epochs, 1,106 training images"
    assert overview.budget_words("not run yet") == "not run yet"
