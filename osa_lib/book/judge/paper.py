"""The paper's own numbers: accessors of ``osa_lib/book/judge/paper_results.json``, the one file that holds them.

Tables 1 and 2 (accuracies, parameter counts) and the budgets of Table 3 (AE rows) and Table 4
(LOC): epochs and training-set sizes. Nothing else in the package types a number of the paper.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PAPER_RESULTS = Path(__file__).parent / "paper_results.json"


@lru_cache(maxsize=1)
def _paper_text() -> str:
    return PAPER_RESULTS.read_text()


def paper_results() -> dict:
    """The paper's own numbers (a fresh dict each call; callers may change it)."""
    return json.loads(_paper_text())


def paper_budget(experiment: str) -> dict:
    """The paper's training budget of a row: ``{"epochs": int | None, "n_train": int | None}``.

    Epochs from Table 3 (Table 1's rows) or Table 4 (LOC); None where the paper trains nothing
    (K-means) or gives no number.
    """
    paper = paper_results()
    for table in ("table3", "table4"):
        row = paper.get(table, {}).get("rows", {}).get(experiment)
        if row is not None:
            return {"epochs": int(row["epochs"]), "n_train": paper[table].get("n_train")}
    if experiment in paper["table1"]["rows"]:
        return {"epochs": None, "n_train": paper.get("table3", {}).get("n_train")}
    return {"epochs": None, "n_train": None}


def paper_epochs(experiment: str) -> int | None:
    """Table 3's or Table 4's epochs for ``experiment``; None where the paper trains nothing."""
    return paper_budget(experiment)["epochs"]


def paper_accuracy(experiment: str, dataset: str = "mnist") -> float | None:
    """The paper's Table 1 accuracy (percent) for ``experiment``; None where the paper has none."""
    table = paper_results()["table1"]
    row = table["rows"].get(experiment) if dataset == table["dataset"] else None
    return None if row is None else float(row["accuracy"])


def paper_accuracy_text(experiment: str) -> str:
    """Table 1's printed accuracy of ``experiment`` with its ± where printed (``"<mean> ± <std>"``, as in paper_results.json)."""
    row = paper_results()["table1"]["rows"][experiment]
    return row["accuracy"] + (f" ± {row['accuracy_std']}" if "accuracy_std" in row else "")


#: Table 1's rows, in the paper's order: (experiment, method, n_clusters).
TABLE1_ROWS = (
    ("kmeans", "K-means", 10),
    ("ae_kmeans", "AE + K-means", 10),
    ("shallow_acrbm_10", "Shallow ACRBM", 10),
    ("shallow_acrbm_30", "Shallow ACRBM", 30),
    ("ae_acrbm_10", "AE + ACRBM", 10),
    ("ae_acrbm_30", "AE + ACRBM", 30),
)
