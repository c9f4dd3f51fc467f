"""osa_lib.book.derivations_chapter.derivation_runs: the derivations chapter's settings, studies, glue facts and record, on tiny data."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib import ShallowACRBM
from osa_lib.book.derivations_chapter import derivation_runs
from osa_lib.book.harness import profiles
from osa_lib.book.provenance import records
from osa_lib.book.summary import report
from osa_lib.clustering import derivation_maths as maths

#: The metric names the report and the summary page read from the derivations record.
RECORD_KEYS = {
    "tied_projection_defect", "tied_semi_orthogonality_defect", "tied_mse_over_optimum", "tied_subspace_overlap",
    "untied_projection_defect", "untied_semi_orthogonality_defect", "untied_mse_over_optimum",
    "untied_subspace_overlap", "eq11_gap_model", "eq11_gap_data_min", "free_codes_eq14_loss",
    "free_codes_eq14_cluster_usage_head_start", "free_codes_eq15_cluster_usage_head_start",
    "eq14_cluster_usage", "eq15_cluster_usage", "eq14_confidence", "eq15_confidence",
    "eq14_accuracy_majority", "eq15_accuracy_majority",
    "eq16_diagonal_mass_k3", "eq16_diagonal_mass_k4", "eq16_offdiag_small_fraction_k3",
    "eq16_offdiag_small_fraction_k4"}


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    """Every section of the chapter on tiny synthetic data (4 blocks of 64 pixels)."""
    from conftest import synthetic_clusters

    X, y = synthetic_clusters(400, 64, 4, noise=0.1, seed=0)
    ae = derivation_runs.linear_ae_study(X[:200], n_latent=3, epochs=3, batch_size=32, lr=3e-3, seed=0)
    fit = dict(epochs=5, batch_size=64, random_state=0, progress=False)
    acrbms = {k: ShallowACRBM(k, **fit).fit(X) for k in (3, 4)}
    eq15 = ShallowACRBM(4, loss="confidence", **fit).fit(X)
    batch = X[:64]
    eq11 = derivation_runs.eq11_table(acrbms[4], batch)
    free = derivation_runs.free_code_table(maths.free_code_runs(16, 4, steps=30, random_state=0))
    readouts = derivation_runs.eq15_readouts({derivation_runs.EQ14: acrbms[4], derivation_runs.EQ15: eq15}, X, y)
    grams = derivation_runs.gram_table({k: m.transform(X) for k, m in acrbms.items()})
    return dict(X=X, y=y, ae=ae, acrbms=acrbms, batch=batch, eq11=eq11, free=free, readouts=readouts, grams=grams,
                results=tmp_path_factory.mktemp("results"))


def test_derivation_settings():
    assert derivation_runs.derivation_settings("ci", epochs=3)["epochs"] == 3
    assert derivation_runs.derivation_settings("ci", epochs=None)["epochs"] == profiles.DERIVATION_PROFILES["ci"]["epochs"]
    with pytest.raises(ValueError, match="unknown setting"):
        derivation_runs.derivation_settings("ci", epoch=3)
    with pytest.raises(ValueError, match="profile"):
        derivation_runs.derivation_settings("fast")


def test_linear_ae_study_table_spectra_and_facts(chapter):
    study = chapter["ae"]
    assert list(study["table"].index) == [(derivation_runs.TIED, "at init"), (derivation_runs.TIED, "trained"),
                                          (derivation_runs.UNTIED, "at init"), (derivation_runs.UNTIED, "trained")]
    assert (study["table"]["mse / optimum"] >= 1 - 1e-6).all()          # nobody beats the optimum
    assert all(len(v) == 3 for v in study["spectra"].values())            # D eigenvalues each
    facts = derivation_runs.linear_ae_facts(study)
    assert facts["init-projection-defect"] > facts["tied-projection-defect"]   # training moves towards a projection
    assert all(np.isfinite(v) for v in facts.values())


def test_forward_and_eq11_facts(chapter):
    fwd = derivation_runs.forward_facts(chapter["acrbms"][4], chapter["batch"])
    assert 0 < fwd["vhat-min"] <= fwd["vhat-max"] < 1
    assert fwd["batch-size-min"] <= fwd["batch-size-max"] <= len(chapter["batch"])
    eq11 = chapter["eq11"]
    assert len(eq11) == 1 + len(derivation_runs.EQ11_CLIPS)
    facts = derivation_runs.eq11_facts(eq11)
    assert facts["eq11-gap-model"] < 1e-10                                # an identity for the model's own output
    assert facts["eq11-gap-data-min"] <= facts["eq11-gap-data-max"]


def test_reference_codes_and_free_code_facts(chapter):
    ref = derivation_runs.reference_code_table(8, 4)
    assert ref.loc["one-hot, balanced over the clusters", "eq14"] == pytest.approx(0.0, abs=1e-6)
    assert ref.loc["collapsed: all rows one-hot in cluster 0", "eq15"] == pytest.approx(0.0, abs=1e-6)
    assert ref.loc["collapsed: all rows one-hot in cluster 0", "eq14"] > 1
    facts = derivation_runs.free_code_facts(chapter["free"])
    assert facts["free14-final"] < facts["free14-start"]
    assert 0 <= facts["free15-head-usage"] <= 100


def test_eq15_facts_and_table(chapter):
    facts = derivation_runs.eq15_facts(chapter["readouts"], 4)
    assert facts["n-readout"] == len(chapter["X"]) and facts["k-eq15"] == 4
    assert facts["e15-usage"] <= facts["e14-usage"]
    table = derivation_runs.readout_table(chapter["readouts"])
    assert list(table.index) == [derivation_runs.EQ14, derivation_runs.EQ15] and "cluster_sizes" not in table.columns


def test_gram_table_one_row_per_k(chapter):
    grams = chapter["grams"]
    assert list(grams.index) == [3, 4] and grams.index.name == "K"
    assert ((grams["diagonal_mass"] > 0) & (grams["diagonal_mass"] <= 1)).all()


def test_metrics_have_the_names_the_report_reads_and_the_record_round_trips(chapter):
    metrics = derivation_runs.derivations_metrics(chapter["ae"]["table"], chapter["eq11"], chapter["free"],
                                       chapter["readouts"], chapter["grams"])
    assert set(metrics) == RECORD_KEYS
    assert metrics["eq14_cluster_usage"] == chapter["readouts"][derivation_runs.EQ14]["cluster_usage"]
    assert metrics["eq16_diagonal_mass_k3"] == chapter["grams"].loc[3, "diagonal_mass"]
    record = derivation_runs.derivations_record(metrics, profile="ci", params={"cluster_sizes": [3, 4]}, seed=0,
                                     n_parameters=260, wall_time_s=1.0, results_dir=chapter["results"])
    stored = records.load_record(chapter["results"], "ci", "mnist", "derivations")
    assert stored["metrics"] == record["metrics"] and stored["seeds"] == [0] and stored["params"]["seed"] == 0
    verdict = report.eq16_diagonal(chapter["results"], "ci")
    assert "K = 3" in verdict["detail"] and "K = 4" in verdict["detail"]
    assert report.eq15_reformulates_eq14(chapter["results"], "ci")["verdict"] != records.NOT_RUN
    facts = derivation_runs.summary_facts(metrics)
    assert "K = 3: diagonal mass" in facts["sum-eq16"] and "K = 4" in facts["sum-eq16"]
    assert facts["sum-e14-usage"] == pytest.approx(100 * metrics["eq14_cluster_usage"])


def test_every_glue_fact_is_a_python_literal(chapter):
    """myst-nb formats ``{glue:text}`key:.2f``` from the value's repr; ``np.float64(...)`` would not parse."""
    facts = {**derivation_runs.linear_ae_facts(chapter["ae"]), **derivation_runs.forward_facts(chapter["acrbms"][4], chapter["batch"]),
             **derivation_runs.eq11_facts(chapter["eq11"]), **derivation_runs.free_code_facts(chapter["free"]),
             **derivation_runs.eq15_facts(chapter["readouts"], 4)}
    metrics = derivation_runs.derivations_metrics(chapter["ae"]["table"], chapter["eq11"], chapter["free"],
                                       chapter["readouts"], chapter["grams"])
    facts.update(derivation_runs.summary_facts(metrics))
    assert all(type(v) in (int, float, str, bool) for v in facts.values()), \
        {k: type(v) for k, v in facts.items() if type(v) not in (int, float, str, bool)}


def test_linear_ae_study_refuses_a_latent_size_that_reaches_the_rank_of_its_rows():
    import numpy as np
    import pytest

    from osa_lib.book.derivations_chapter.derivation_runs import linear_ae_study

    rng = np.random.default_rng(0)
    X = rng.random((12, 3)) @ rng.random((3, 20))            # 12 rows of rank 3
    with pytest.raises(ValueError, match="reaches the rank"):
        linear_ae_study(X, n_latent=3, epochs=1, batch_size=4, lr=1e-2)
    study = linear_ae_study(X, n_latent=2, epochs=1, batch_size=4, lr=1e-2)
    assert np.isfinite(study["table"]["mse / optimum"]).all()


def test_each_section_exhibit_round_trips_through_the_exhibits_file(chapter, tmp_path):
    """What each section shows, stored as exhibits and read back: the same facts, tables and figure data."""
    runs = maths.free_code_runs(16, 4, steps=30, random_state=0)
    free_table = derivation_runs.free_code_table(runs)
    codes_by_k = {k: m.transform(chapter["X"]) for k, m in chapter["acrbms"].items()}
    run_exhibits = {"linear_ae": derivation_runs.linear_ae_exhibit(chapter["ae"]),
                    "forward": derivation_runs.forward_exhibit(chapter["acrbms"][4], chapter["batch"]),
                    "eq11": derivation_runs.eq11_exhibit(chapter["eq11"]),
                    "free_codes": derivation_runs.free_code_exhibit(runs, free_table, 30),
                    "eq15": derivation_runs.eq15_exhibit(chapter["readouts"], 4),
                    "eq16": derivation_runs.eq16_exhibit(codes_by_k)}
    records.write_exhibits("derivations", run_exhibits, tmp_path, "paper", "mnist")
    stored = records.read_exhibits(tmp_path, "paper", "mnist", "derivations")["data"]
    assert stored["forward"]["facts"] == run_exhibits["forward"]["facts"]
    assert stored["free_codes"]["facts"]["free-steps"] == 30
    ae = records.table_from_exhibit(stored["linear_ae"]["table"])
    assert ae.loc[(derivation_runs.TIED, "trained"), "mse / optimum"] == pytest.approx(
        chapter["ae"]["table"].loc[(derivation_runs.TIED, "trained"), "mse / optimum"], rel=1e-5)
    assert len(stored["free_codes"]["histories"]) == 4 and len(next(iter(stored["free_codes"]["histories"].values()))) == 31
    grams = records.table_from_exhibit(stored["eq16"]["table"])
    assert grams.loc[3, "diagonal_mass"] == pytest.approx(chapter["grams"].loc[3, "diagonal_mass"], rel=1e-5)
    assert np.asarray(stored["eq16"]["grams"]["4"]).shape == (4, 4)
    assert sum(stored["eq15"]["cluster_sizes"][derivation_runs.EQ14]) == len(chapter["X"])
    # a section is drawn from the paper-profile exhibits when they hold it, else from this run's
    assert derivation_runs.section_exhibit(stored, run_exhibits, "eq11") == (stored["eq11"], True)
    assert derivation_runs.section_exhibit(None, run_exhibits, "eq11") == (run_exhibits["eq11"], False)
    assert derivation_runs.section_exhibit({"eq16": {}}, run_exhibits, "eq11")[1] is False
