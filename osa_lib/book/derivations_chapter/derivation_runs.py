"""Runner of the derivations chapter: its settings per profile, each section's study, and its record.

The chapter notebook calls one function per section and shows what it returns; every
number it quotes comes from here or from :mod:`osa_lib.clustering.derivation_maths`.
Tables are pandas DataFrames; codes ``H`` are (N, K) arrays whose rows sum to 1.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from osa_lib.book.harness.profiles import DERIVATION_PROFILES, profile_settings
from osa_lib.book.provenance.records import make_record, table_exhibit
from osa_lib.clustering import derivation_maths as maths
from osa_lib.clustering import linear_ae
from osa_lib.train import seeded_generator
from osa_lib.book.page.exhibit_sources import source_line


#: The data clippings at which eq 11 is compared with the data (the logit of 0 or 1 is infinite).
EQ11_CLIPS = (1e-2, 1e-4, 1e-6)
#: Names of the two autoencoders of eq 4-7 and of the two losses of eq 14-15 in every table.
TIED, UNTIED = "tied, eq 7", "untied, eq 6"
EQ14, EQ15 = "eq 14 (loss='acrbm')", "eq 15 (loss='confidence')"
HEAD_START = "head start for cluster 0"


def plain(facts: Mapping) -> dict:
    """``facts`` with numpy scalars turned into Python ``int``/``float``: glue's ``{glue:text}`` formats
    only Python literals (``np.float64(0.5)`` would not format)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in facts.items()}


def derivation_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    return profile_settings(DERIVATION_PROFILES, profile, overrides)


# --------------------------------------------------------------------------- eq 4-7

def linear_ae_study(X, *, n_latent: int, epochs: int, batch_size: int, lr: float, seed: int = 0,
                    device="cpu") -> dict:
    """Eq 4-7: a tied and an untied linear autoencoder trained on rows ``X`` (N, V), measured before and after.

    Returns ``table`` (index ``(model, "at init" | "trained")``; columns of
    :func:`osa_lib.clustering.linear_ae.linear_ae_summary` plus ``mse / optimum``),
    ``spectra`` (eigenvalues of ``WW^T`` tied, ``W beta`` untied and ``WW^T`` of the untied
    encoder alone), ``optimum`` (the bias-free best rank-D error) and ``optimum_pca``
    (centred PCA plus the mean).
    """
    import pandas as pd

    X = np.asarray(X)
    P_D = linear_ae.principal_subspace(X, n_latent)                      # (V, D), orthonormal columns
    optimum = linear_ae.optimal_linear_error(X, n_latent)
    if optimum <= 1e-9 * float(np.mean(X ** 2)):
        # D at or above the rank of the rows: the best linear reconstruction is exact (error at float
        # rounding), so "mse / optimum" would divide by rounding noise
        raise ValueError(f"n_latent={n_latent} reaches the rank of the {len(X)} rows (best rank-{n_latent} error "
                         f"{optimum:.1e}, i.e. exact): 'mse / optimum' is undefined. Use a smaller n_latent or "
                         f"more rows (ae_rows).")
    generator = seeded_generator(seed)
    models = {TIED: linear_ae.TiedLinearAE(X.shape[1], n_latent, generator=generator),
              UNTIED: linear_ae.UntiedLinearAE(X.shape[1], n_latent, generator=generator)}
    rows = {}
    for name, model in models.items():
        rows[(name, "at init")] = linear_ae.linear_ae_summary(model, X, P_D)
        linear_ae.fit_linear_ae(model, X, epochs=epochs, batch_size=batch_size, lr=lr, random_state=seed,
                                device=device)
        rows[(name, "trained")] = linear_ae.linear_ae_summary(model, X, P_D)
    table = pd.DataFrame(rows).T
    table.insert(1, "mse / optimum", table["mse"] / optimum)
    W_tied, _ = models[TIED].factors()
    W_untied, beta = models[UNTIED].factors()
    spectra = {r"tied: $WW^\top$": linear_ae.operator_eigenvalues(W_tied),
               r"untied: $W\beta$ (real part)": linear_ae.operator_eigenvalues(W_untied, beta),
               r"untied: $WW^\top$, the encoder alone": linear_ae.operator_eigenvalues(W_untied)}
    return {"table": table, "spectra": spectra, "optimum": optimum,
            "optimum_pca": linear_ae.optimal_linear_error(X, n_latent, center=True)}


def linear_ae_facts(study: Mapping) -> dict[str, float]:
    """The numbers the eq 4-7 text quotes, from :func:`linear_ae_study` (glue keys)."""
    t = study["table"]
    tied, untied, init = t.loc[(TIED, "trained")], t.loc[(UNTIED, "trained")], t.loc[(TIED, "at init")]
    eig_t, eig_u, eig_w = (np.asarray(v) for v in study["spectra"].values())
    return plain({"ae-optimum": study["optimum"], "ae-optimum-pca": study["optimum_pca"],
            "tied-above-optimum": 100 * (tied["mse / optimum"] - 1),
            "untied-above-optimum": 100 * (untied["mse / optimum"] - 1),
            "tied-projection-defect": tied["projection_defect"], "init-projection-defect": init["projection_defect"],
            "tied-semi-orth": tied["semi_orthogonality_defect"], "init-semi-orth": init["semi_orthogonality_defect"],
            "untied-projection-defect": untied["projection_defect"],
            "untied-semi-orth": untied["semi_orthogonality_defect"],
            "tied-eig-min": float(eig_t.min()), "tied-eig-max": float(eig_t.max()),
            "untied-eig-min": float(eig_u.real.min()), "untied-eig-max": float(eig_u.real.max()),
            "untied-eig-imag": float(np.abs(eig_u.imag).max()),
            "encoder-eig-min": float(eig_w.min()), "encoder-eig-max": float(eig_w.max()),
            "tied-overlap": tied["subspace_overlap"], "untied-overlap": untied["subspace_overlap"]})


# --------------------------------------------------------------------------- eq 8-12

def forward_facts(model, V) -> dict[str, float]:
    """Eq 8-9 on a batch ``V`` (m, V) of a fitted ShallowACRBM: ranges of ``hW^T``, of ``v_hat`` and of ``u``'s diagonal."""
    W = maths.acrbm_weight(model)                                        # (V, K)
    H = model.transform(V)                                               # (m, K), rows sum to 1
    v_hat = model.reconstruct(V)                                         # (m, V) = sigmoid(h W^T)
    pre = H @ W.T
    u = maths.gram_summary(H)
    sizes = np.diag(H.T @ H)
    return plain({"pre-min": float(pre.min()), "pre-max": float(pre.max()), "vhat-min": float(v_hat.min()),
            "vhat-max": float(v_hat.max()), "batch-diagonal-mass": u["diagonal_mass"],
            "batch-offdiag-share": u["offdiag_norm_share"], "batch-size-min": float(sizes.min()),
            "batch-size-max": float(sizes.max())})


def eq11_table(model, V, clips: Sequence[float] = EQ11_CLIPS):
    """Eq 11's two sides for a batch ``V`` (m, V): against the model's own reconstruction, then the data clipped.

    One row per comparison, columns of :func:`osa_lib.clustering.derivation_maths.squared_form_comparison`.
    """
    import pandas as pd

    W, H = maths.acrbm_weight(model), model.transform(V)
    rows = {"v* = sigma(h W^T), the model's own": maths.squared_form_comparison(W, H)}
    rows.update({f"v* = data, clipped at {c:g}": maths.squared_form_comparison(W, H, V, clip=c) for c in clips})
    return pd.DataFrame(rows).T


def eq11_facts(table) -> dict[str, float]:
    """The numbers the eq 11 text quotes, from :func:`eq11_table`."""
    own, data = table.iloc[0], table.iloc[1:]
    return plain({"eq11-gap-model": own["relative_gap"], "eq11-gap-data-min": data["relative_gap"].min(),
            "eq11-gap-data-max": data["relative_gap"].max(), "eq11-norm-ratio-max": 100 * data["norm_ratio"].max(),
            "eq11-cos-min": data["cosine"].min(), "eq11-cos-max": data["cosine"].max()})


# --------------------------------------------------------------------------- eq 13-15

def reference_code_table(batch_size: int, n_clusters: int):
    """Eq 14 and eq 15 at three reference codes of ``batch_size`` rows: collapsed, balanced one-hot, uniform."""
    import pandas as pd

    m, K = int(batch_size), int(n_clusters)
    codes = {"collapsed: all rows one-hot in cluster 0": maths.one_hot_codes(np.zeros(m, dtype=int), K),
             "one-hot, balanced over the clusters": maths.one_hot_codes(np.arange(m) % K, K),
             "uniform 1/K": np.full((m, K), 1.0 / K)}
    return pd.DataFrame({name: maths.loss_values(H) for name, H in codes.items()}).T


def free_code_table(runs: Mapping):
    """One row per ``(loss, start)`` of :func:`osa_lib.clustering.derivation_maths.free_code_runs`: loss at start and end, code read-outs."""
    import pandas as pd

    return pd.DataFrame({key: {"loss at start": run["history"][0], "final loss": run["history"][-1],
                               **maths.code_summary(run["h"])} for key, run in runs.items()}).T


def free_code_facts(table) -> dict[str, float]:
    """The numbers the free-code text quotes, from :func:`free_code_table` (usages in percent)."""
    rand, h14, h15 = (table.loc[key] for key in (("eq 14", "random start"), ("eq 14", HEAD_START),
                                                  ("eq 15", HEAD_START)))
    return plain({"free14-start": rand["loss at start"], "free14-final": rand["final loss"],
            "free14-least-conf": rand["least_confidence"], "free14-usage": 100 * rand["cluster_usage"],
            "free14-head-usage": 100 * h14["cluster_usage"], "free14-head-final": h14["final loss"],
            "free15-head-usage": 100 * h15["cluster_usage"], "free15-head-final": h15["final loss"],
            "free15-head-eq14": h15["eq14"]})


def eq15_readouts(models: Mapping[str, object], X, y) -> dict[str, dict]:
    """:func:`osa_lib.clustering.derivation_maths.readout` of each fitted model on rows ``X`` with labels ``y``."""
    return {name: maths.readout(model, X, y) for name, model in models.items()}


def readout_table(readouts: Mapping[str, Mapping]):
    """The read-outs as a table, one row per model (the per-cluster sizes left out)."""
    import pandas as pd

    return pd.DataFrame({name: {k: v for k, v in r.items() if k != "cluster_sizes"}
                         for name, r in readouts.items()}).T


def eq15_facts(readouts: Mapping[str, Mapping], n_clusters: int) -> dict[str, float]:
    """The numbers the eq 14 vs eq 15 text quotes (percent where a share), from :func:`eq15_readouts`."""
    e14, e15 = readouts[EQ14], readouts[EQ15]
    return plain({"e14-usage": 100 * e14["cluster_usage"], "e15-usage": 100 * e15["cluster_usage"],
            "e14-largest": int(np.max(e14["cluster_sizes"])), "e15-largest": int(np.max(e15["cluster_sizes"])),
            "n-readout": int(np.sum(e14["cluster_sizes"])), "e14-conf": e14["mean_confidence"],
            "e15-conf": e15["mean_confidence"], "e14-acc": 100 * e14["accuracy_majority"],
            "e15-acc": 100 * e15["accuracy_majority"], "k-eq15": int(n_clusters)})


# --------------------------------------------------------------------------- eq 16

def gram_table(codes: Mapping[int, np.ndarray], rel_tol: float = 1e-3):
    """Eq 16: :func:`osa_lib.clustering.derivation_maths.gram_summary` of the codes ``codes[K]`` (N, K), one row per K."""
    import pandas as pd

    return pd.DataFrame({k: maths.gram_summary(H, rel_tol=rel_tol) for k, H in codes.items()}).T.rename_axis("K")


# --------------------------------------------------------------------------- the record

def derivations_metrics(ae_table, eq11, free_table, readouts: Mapping[str, Mapping], grams) -> dict[str, float]:
    """The derivations record's metrics (the names the report reads), from the chapter's tables.

    ``ae_table`` from :func:`linear_ae_study`, ``eq11`` from :func:`eq11_table`,
    ``free_table`` from :func:`free_code_table`, ``readouts`` from :func:`eq15_readouts`
    and ``grams`` from :func:`gram_table` (index K).
    """
    metrics = {}
    for prefix, name in (("tied", TIED), ("untied", UNTIED)):
        row = ae_table.loc[(name, "trained")]
        metrics.update({f"{prefix}_projection_defect": row["projection_defect"],
                        f"{prefix}_semi_orthogonality_defect": row["semi_orthogonality_defect"],
                        f"{prefix}_mse_over_optimum": row["mse / optimum"],
                        f"{prefix}_subspace_overlap": row["subspace_overlap"]})
    e14, e15 = readouts[EQ14], readouts[EQ15]
    metrics.update({
        "eq11_gap_model": eq11.iloc[0]["relative_gap"],
        "eq11_gap_data_min": eq11.iloc[1:]["relative_gap"].min(),
        "free_codes_eq14_loss": free_table.loc[("eq 14", "random start"), "final loss"],
        "free_codes_eq14_cluster_usage_head_start": free_table.loc[("eq 14", HEAD_START), "cluster_usage"],
        "free_codes_eq15_cluster_usage_head_start": free_table.loc[("eq 15", HEAD_START), "cluster_usage"],
        "eq14_cluster_usage": e14["cluster_usage"], "eq15_cluster_usage": e15["cluster_usage"],
        "eq14_confidence": e14["mean_confidence"], "eq15_confidence": e15["mean_confidence"],
        "eq14_accuracy_majority": e14["accuracy_majority"], "eq15_accuracy_majority": e15["accuracy_majority"],
    })
    metrics.update({f"eq16_diagonal_mass_k{int(k)}": row["diagonal_mass"] for k, row in grams.iterrows()})
    metrics.update({f"eq16_offdiag_small_fraction_k{int(k)}": row["offdiag_small_fraction"]
                    for k, row in grams.iterrows()})
    return {k: float(v) for k, v in metrics.items()}


def derivations_record(metrics: Mapping[str, float], *, profile: str, params: Mapping, seed: int,
                       n_parameters: int, wall_time_s: float, device: str = "cpu", data_provenance=None,
                       results_dir=None) -> dict:
    """The chapter's record (experiment ``derivations`` on ``mnist``, one seed); written when ``results_dir`` is given."""
    return make_record(experiment="derivations", dataset="mnist", profile=profile,
                       params={**params, "seed": int(seed)}, seeds=[int(seed)],
                       runs=[{k: float(v) for k, v in metrics.items()}], n_parameters=n_parameters,
                       wall_time_s=wall_time_s, device=device,
                       extra={"data": data_provenance} if data_provenance is not None else None,
                       results_dir=results_dir)


def summary_facts(metrics: Mapping[str, float]) -> dict[str, float]:
    """The numbers of the chapter's summary, from a derivations record's metrics (percent where a share).

    Keys ``sum-…``; ``sum-eq16`` is text: the diagonal mass and the share of small
    off-diagonal entries for every K the record holds.
    """
    facts = {"sum-tied-proj": metrics["tied_projection_defect"], "sum-tied-orth": metrics["tied_semi_orthogonality_defect"],
             "sum-untied-orth": metrics["untied_semi_orthogonality_defect"],
             "sum-eq11-model": metrics["eq11_gap_model"], "sum-eq11-data": metrics["eq11_gap_data_min"],
             "sum-free14": metrics["free_codes_eq14_loss"],
             "sum-e14-usage": 100 * metrics["eq14_cluster_usage"], "sum-e15-usage": 100 * metrics["eq15_cluster_usage"],
             "sum-e14-acc": 100 * metrics["eq14_accuracy_majority"],
             "sum-e15-acc": 100 * metrics["eq15_accuracy_majority"]}
    sizes = sorted(int(name.rsplit("_k", 1)[1]) for name in metrics if name.startswith("eq16_diagonal_mass_k"))
    facts["sum-eq16"] = "; ".join(
        f"K = {k}: diagonal mass {metrics[f'eq16_diagonal_mass_k{k}']:.3f}, "
        f"{100 * metrics[f'eq16_offdiag_small_fraction_k{k}']:.0f} % of the off-diagonal entries below 1e-3 "
        f"of the largest" for k in sizes)
    return plain(facts)


# --------------------------------------------------------------------------- exhibits of record
# Each section's exhibit: the numbers its "Result." text quotes (``facts``, glue keys), its table and what its
# figure draws, as JSON-able data. The chapter writes them beside the record (records.write_exhibits, name
# "derivations") and draws every section from the paper-profile file when there is one.

def _rounded(values, digits: int = 6) -> list:
    return [float(f"{float(v):.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def linear_ae_exhibit(study: Mapping) -> dict:
    """Eq 4-7: facts, the table and the spectra (real parts; the imaginary parts are in the facts) of :func:`linear_ae_study`."""
    return {"facts": linear_ae_facts(study), "table": table_exhibit(study["table"]),
            "spectra": {label: _rounded(np.real(np.asarray(v))) for label, v in study["spectra"].items()}}


def forward_exhibit(model, V) -> dict:
    """Eq 8-9: the facts of :func:`forward_facts`."""
    return {"facts": forward_facts(model, V)}


def eq11_exhibit(table) -> dict:
    """Eq 11: the facts and the table of :func:`eq11_table`."""
    return {"facts": eq11_facts(table), "table": table_exhibit(table)}


def free_code_exhibit(runs: Mapping, table, steps: int) -> dict:
    """Eq 13-15 on free codes: facts, the table and the loss curves of each ``(loss, start)`` run."""
    return {"facts": {**free_code_facts(table), "free-steps": int(steps)}, "table": table_exhibit(table),
            "histories": {f"{loss}, {start}": _rounded(run["history"]) for (loss, start), run in runs.items()}}


def eq15_exhibit(readouts: Mapping[str, Mapping], n_clusters: int) -> dict:
    """Eq 14 against eq 15: facts, the read-out table and the test images per cluster of each model."""
    return {"facts": eq15_facts(readouts, n_clusters), "table": table_exhibit(readout_table(readouts)),
            "cluster_sizes": {name: [int(v) for v in r["cluster_sizes"]] for name, r in readouts.items()}}


def eq16_exhibit(test_codes: Mapping[int, np.ndarray]) -> dict:
    """Eq 16: the table of :func:`gram_table` and each K's normalised ``D = hᵀh`` (4 significant digits)."""
    from osa_lib.clustering.codes import code_gram

    return {"table": table_exhibit(gram_table(test_codes)),
            "grams": {str(int(k)): [_rounded(row, 4) for row in code_gram(H)] for k, H in test_codes.items()}}


def section_exhibit(paper_exhibits: Mapping | None, run_exhibits: Mapping, section: str) -> tuple[dict, bool]:
    """The section's exhibit from the paper-profile file's data when it holds the section, else this run's;
    with True when it is the paper-profile one."""
    if paper_exhibits and section in paper_exhibits:
        return paper_exhibits[section], True
    return run_exhibits[section], False


def exhibit_source_line(results_dir, profile: str, from_paper: bool) -> str:
    """The source line under a section's table or figure: the paper-profile ``derivations`` record and its exhibits
    file when the section shows them (:func:`section_exhibit`), else this run's, whose record and exhibits the page
    writes at its end (a record left by an earlier run of that profile is named until then)."""

    shown = "paper" if from_paper else profile
    return source_line(results_dir, [(shown, "mnist", "derivations")], exhibits=[(shown, "mnist", "derivations")],
                       note=None if from_paper else "this run: written at the end of the page")
