"""osa_lib.book.judge.paper: the paper's numbers come from paper_results.json, and every profile's paper budget is the paper's."""
import json

import pytest

from osa_lib.book.judge import paper
from osa_lib.book.ae_chapter.ae_jobs import AEJob
from osa_lib.book.harness.profiles import AE_PROFILES, CLUSTERING_PROFILES, DERIVATION_PROFILES, LOC_PROFILES

FILE = json.loads(paper.PAPER_RESULTS.read_text())


@pytest.mark.parametrize("table", ["table3", "table4"])
def test_budgets_are_the_files_rows(table):
    for experiment, row in FILE[table]["rows"].items():
        assert paper.paper_budget(experiment) == {"epochs": int(row["epochs"]), "n_train": FILE[table].get("n_train")}
        assert paper.paper_epochs(experiment) == int(row["epochs"])


def test_untrained_and_unknown_rows_have_no_epochs():
    untrained = [e for e in FILE["table1"]["rows"] if e not in FILE["table3"]["rows"]]
    assert untrained                                            # K-means: a Table 1 row without training
    for experiment in untrained:
        assert paper.paper_budget(experiment) == {"epochs": None, "n_train": FILE["table3"]["n_train"]}
    assert paper.paper_budget("no_such_row") == {"epochs": None, "n_train": None}


def test_each_call_returns_a_fresh_copy():
    first = paper.paper_results()
    first["table1"]["rows"].clear()
    assert paper.paper_results()["table1"]["rows"] == FILE["table1"]["rows"]


def test_accuracy_text_carries_the_printed_spread():
    for experiment, row in FILE["table1"]["rows"].items():
        text = paper.paper_accuracy_text(experiment)
        assert text.startswith(row["accuracy"]) and (("±" in text) == ("accuracy_std" in row))
        assert paper.paper_accuracy(experiment) == float(row["accuracy"])
    assert paper.paper_accuracy("kmeans", dataset="fashion_mnist") is None


# --------------------------------------------------------------------------- profiles at the paper's budget

def test_the_paper_profiles_train_for_the_papers_epochs():
    """Each runner's ``paper`` profile trains each row for Table 3's / Table 4's epochs, read from the file."""
    assert CLUSTERING_PROFILES["paper"]["epochs"] == paper.paper_epochs("shallow_acrbm_10") \
        == paper.paper_epochs("shallow_acrbm_30")
    assert DERIVATION_PROFILES["paper"]["epochs"] == paper.paper_epochs("shallow_acrbm_10")
    for experiment in ("ae_kmeans", "ae_acrbm_10", "ae_acrbm_30"):
        assert AE_PROFILES["paper"]["epochs"] == paper.paper_epochs(experiment)
        assert AEJob(experiment, seed=0).epochs == paper.paper_epochs(experiment)
    assert LOC_PROFILES["paper"]["epochs"] == paper.paper_epochs("loc")
