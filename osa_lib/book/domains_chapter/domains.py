"""A third and fourth domain, as the paper's title invites: K-means, shallow ACRBM and AE + ACRBM on two data
sets that ship with scikit-learn (no download), judged against each other with the book's interval rule.

* ``sklearn_digits``: the 8 × 8 handwritten digits (1,797 rows, 64 features, 10 classes);
* ``sklearn_wine``: the wine recognition table (178 rows, 13 chemical measurements, 3 classes).

Each method is a scikit-learn :class:`~sklearn.pipeline.Pipeline` that first scales every feature to
[0, 1] (:class:`~sklearn.preprocessing.MinMaxScaler`, the range the ACRBM's sigmoid reconstruction reads),
with as many clusters as classes. As is usual for these small sets, each model is fitted and scored on all
rows; labels only score (accuracy with the majority mapping, NMI), they choose nothing. AE + ACRBM uses the
reading chosen on MNIST by training accuracy (reconstruction summed per row), its sizes by
:func:`osa_lib.clustering.autoencoder.resolve_sizes`. No claim of the paper is tested here: the verdict says
whether the ACRBM is above, below or indistinguishable from K-means (:func:`osa_lib.book.judge.verdicts.relation`).
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from osa_lib.book.provenance.records import make_record
from osa_lib.book.harness.profiles import DOMAIN_PROFILES
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.shallow import ShallowACRBM
from osa_lib.metrics import clustering_scores
from osa_lib.book.judge.verdicts import mean_interval, relation

#: The data sets: name -> (loader, words).
DOMAINS = {
    "sklearn_digits": (load_digits, "8 × 8 handwritten digits (1,797 rows, 64 features, 10 classes)"),
    "sklearn_wine": (load_wine, "wine recognition (178 rows, 13 measurements, 3 classes)"),
}
#: The methods: experiment -> words.
METHODS = {"kmeans": "K-means", "shallow_acrbm": "shallow ACRBM", "ae_acrbm": "AE + ACRBM"}


def load_domain(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a domain: float32 rows (n_samples, n_features) as shipped, int labels."""
    if name not in DOMAINS:
        raise ValueError(f"unknown domain {name!r}; use one of {sorted(DOMAINS)}")
    X, y = DOMAINS[name][0](return_X_y=True)
    return X.astype(np.float32), y.astype(np.int64)


def make_model(method: str, n_clusters: int, seed: int, epochs: int):
    """The pipeline of ``method``: MinMaxScaler, then the clusterer."""
    if method == "kmeans":
        model = KMeans(n_clusters, n_init=10, random_state=seed)
    elif method == "shallow_acrbm":
        model = ShallowACRBM(n_clusters, epochs=epochs, random_state=seed, progress=False)
    elif method == "ae_acrbm":
        model = AEACRBM(n_clusters, epochs=epochs, lam=1.0, reconstruction_reduction="sum", random_state=seed,
                        progress=False)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {sorted(METHODS)}")
    return make_pipeline(MinMaxScaler(), model)


def run_domain(name: str, *, profile: str = "paper", results_dir=None, seeds=None, epochs: int | None = None,
               methods=tuple(METHODS)) -> dict[str, dict]:
    """Every method on one domain, one record each (``results/<profile>/<name>/<method>.json``); returns them."""
    X, y = load_domain(name)
    k = int(len(np.unique(y)))
    settings = dict(DOMAIN_PROFILES[profile])
    seeds = tuple(settings["seeds"] if seeds is None else seeds)
    epochs = int(settings["epochs"] if epochs is None else epochs)
    out = {}
    for method in methods:
        start, runs = time.perf_counter(), []
        for seed in seeds:
            pred = make_model(method, k, int(seed), epochs).fit(X).predict(X)
            runs.append(clustering_scores(y, np.asarray(pred, dtype=np.int64), n_clusters=k))
        params = {"n_clusters": k, "n_rows": len(X), "n_features": int(X.shape[1]), "epochs": epochs,
                  "preprocessing": "MinMaxScaler to [0, 1] per feature", "evaluated_on": "all rows (fitted on them)",
                  "mapping": "majority (accuracy_majority), one-to-one (accuracy_hungarian)",
                  "labels": "none choose anything; they only score"}
        if method == "ae_acrbm":
            params["reading"] = "sum (reconstruction summed per row, lambda = 1; chosen on MNIST by training accuracy)"
        out[method] = make_record(experiment=method, dataset=name, profile=profile, params=params, seeds=seeds,
                                  runs=runs, n_parameters=None, wall_time_s=time.perf_counter() - start,
                                  device="cpu", extra={"data": {"source": f"sklearn.datasets ({DOMAINS[name][1]})"}},
                                  results_dir=results_dir)
    return out


def domain_table(records: dict[str, dict[str, dict]]):
    """One row per (domain, method): accuracy and NMI in percent with 95 % t intervals, and the ACRBM
    methods' relation to K-means on the same rows (:func:`osa_lib.book.judge.verdicts.relation`)."""
    import pandas as pd


    rows = []
    for name, recs in records.items():
        for method, rec in recs.items():
            acc, nmi = rec["metrics"]["accuracy_majority"], rec["metrics"]["nmi"]
            versus = "—" if method == "kmeans" or "kmeans" not in recs else relation(
                acc, recs["kmeans"]["metrics"]["accuracy_majority"])
            rows.append({"data set": DOMAINS[name][1].split(" (")[0], "method": METHODS[method],
                         "seeds": len(rec["seeds"]), "accuracy % [95 % interval]": mean_interval(acc).text(),
                         "NMI % [95 % interval]": mean_interval(nmi).text(),
                         "accuracy against K-means": versus})
    return pd.DataFrame(rows)


def answer_sentence(records: dict[str, dict[str, dict]]) -> str:
    """The page's answer in one sentence: per domain, where each ACRBM stands against K-means (accuracy)."""

    parts = []
    for name, recs in records.items():
        km = recs["kmeans"]["metrics"]["accuracy_majority"]
        words = [f"the {METHODS[m]} is {relation(recs[m]['metrics']['accuracy_majority'], km)} points"
                 for m in ("shallow_acrbm", "ae_acrbm") if m in recs]
        parts.append(f"on the {DOMAINS[name][1].split(' (')[0]}, " + " and ".join(words))
    return "Against K-means with the same number of clusters: " + "; ".join(parts) + "."
