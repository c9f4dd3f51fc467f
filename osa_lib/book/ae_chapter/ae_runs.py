"""Runner of the AE chapter: Table 1's AE rows on the paper's protocol, and our recipes as labelled ablations.

* :func:`run_paper_protocol` runs (or resumes) the per-(row, seed) jobs of
  :mod:`osa_lib.book.ae_chapter.ae_jobs` and gathers each row's record: the paper's protocol as
  printed (one stage, dense AE, Table 3's optimiser and 500 epochs in the ``paper``
  profile).
* :func:`~osa_lib.book.ae_chapter.ae_recipes.run_recipe_search` (in :mod:`osa_lib.book.ae_chapter.ae_recipes`,
  re-exported): recipes of ours for the ACRBM head on a validation split carved from the
  training set. They are ablations, shown beside the paper's protocol, never in its place.
* Tables of the chapter: :func:`parameter_table`, :func:`accuracy_curves`, :func:`budget_table`,
  :func:`kmeans_readings_table`; its figures are in :mod:`osa_lib.book.ae_chapter.ae_figures` (re-exported).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from osa_lib.book.ae_chapter.ae_figures import ROW_LABELS, plot_accuracy_vs_epoch, plot_recipe_curves  # noqa: F401
from osa_lib.book.ae_chapter.ae_jobs import (EXPERIMENTS, KMEANS_READINGS, gather_record, job_states, paper_jobs,
                                             run_jobs)
from osa_lib.book.ae_chapter.ae_recipes import (RECIPE_ROWS, RECIPES, SEARCH_PLAN, best_recipe, recipe_params,  # noqa: F401
                                                recipe_label, recipe_table, recipe_table_for_page, run_recipe_search)
from osa_lib.book.harness.profiles import AE_PROFILES, profile_settings
from osa_lib.book.page.display import per_seed_for_page
from osa_lib.book.provenance.records import (NOT_RUN, RunResult, epochs_per_seed, load_record, per_seed_frame,
                                             read_record, record_epochs, record_path, write_record)
from osa_lib.book.page.tables import short_device
from osa_lib.book.judge.verdicts import row_verdict, table1_metric
from osa_lib.clustering.autoencoder import TABLE3_SIZES, parameter_counts
from osa_lib.book.ae_chapter.ae_study import verdict_against_kmeans
from osa_lib.book.judge.paper import paper_results


def ae_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    settings = profile_settings(AE_PROFILES, profile, overrides, sequences=("seeds", "search_seeds"))
    for key in ("seeds", "search_seeds"):
        settings[key] = tuple(int(v) for v in settings[key])
    return settings


def row_text(record: dict | None, metric: str = "accuracy_majority", planned_epochs: int | None = None) -> str:
    """``"61.23 ± 1.05 % (5 seeds, 500 of 500 epochs)"`` from a row's record; ``"not run yet"`` without one."""

    if record is None:
        return NOT_RUN
    m = record["metrics"][metric]
    epochs = epochs_per_seed(record)
    planned = planned_epochs or record["params"]["epochs"]
    ran = f"{min(epochs)}" if min(epochs) == max(epochs) else f"{min(epochs)}–{max(epochs)}"
    n = len(record["seeds"])
    return (f"{100 * m['mean']:.2f} ± {100 * m['std']:.2f} % ({n} seed{'s' if n != 1 else ''}, "
            f"{ran} of {planned} epochs)")


def answer_sentence(paper_records: Mapping[str, dict | None], paper: Mapping[str, float | None],
                    planned_epochs: int) -> str:
    """The chapter's answer in one paragraph, from the rows' paper-profile records (Markdown)."""
    done = {row: rec for row, rec in paper_records.items() if rec is not None}
    if not done:
        return "No paper-profile seed has finished yet: there is no answer yet."

    def mean(row, metric="accuracy_majority"):
        return 100 * done[row]["metrics"][metric]["mean"]

    parts = []
    for row, rec in done.items():
        epochs = record_epochs(rec)
        metric = rec["metrics"][table1_metric(rec, row)]
        if paper.get(row) is None:
            text = f"{ROW_LABELS[row]} has no paper number to compare with"
        else:
            judged = row_verdict(metric, paper[row])
            text = f"{ROW_LABELS[row]}: {judged.verdict} ({judged.text()})"
        if epochs < planned_epochs:
            text += f" after {epochs} of {planned_epochs} epochs (not tested at the paper's budget)"
        n = len(rec["seeds"])
        parts.append(text + f" ({n} seed{'s' if n != 1 else ''})")
    sentence = "; ".join(parts) + "."
    if "ae_kmeans" in done and "ae_acrbm_10" in done:
        # The judge's words (osa_lib.book.judge.verdicts.gap_verdict): the printed rows, against the claimed gap.

        v = verdict_against_kmeans(done["ae_acrbm_10"], done["ae_kmeans"])
        km_best = mean("ae_kmeans", table1_metric(done["ae_kmeans"], "ae_kmeans"))
        sentence += (f" The headline comparison on the printed protocol, AE + ACRBM (10) against AE + K-means with "
                     f"its label-free start: {v['verdict']} ({v['judgement'].text('gap (points)')}; AE + K-means "
                     f"scores {km_best:.2f} % with the paper's selection, the best start by test accuracy).")
    return sentence


def job_status_table(jobs: Mapping[str, list], planned_epochs: int, planned_seeds=AE_PROFILES["paper"]["seeds"]):
    """One row per AE row: seeds finished, seeds stopped before ``planned_epochs`` (with the epochs they
    reached), planned seeds without a job, and training minutes per finished seed. A committed job that
    is not done is not running: the book reads committed files, so it is "stopped"."""
    import pandas as pd

    rows = []
    for row, states in jobs.items():
        done = [s for s in states if s["status"] == "done"]
        stopped = [s for s in states if s["status"] != "done"]
        started = {s["seed"] for s in states}
        done_text = ", ".join(str(s["seed"]) for s in done) or "none"
        short = sorted({s["epochs_done"] for s in done if s.get("epochs_done") not in (None, planned_epochs)})
        if short:
            done_text += f" ({', '.join(str(e) for e in short)} epochs)"
        devices = sorted({short_device(s["device"]) for s in done or stopped if s.get("device")})
        rows.append({"row": ROW_LABELS.get(row, row),
                     f"finished ({planned_epochs} epochs)": done_text,
                     "stopped (epochs reached)": ", ".join(f"{s['seed']} ({s['epochs_done']})" for s in stopped)
                     or "none",
                     "not started": ", ".join(str(s) for s in planned_seeds if s not in started) or "none",
                     "minutes per finished seed": ", ".join(f"{s['train_time_s'] / 60:.0f}" for s in done) or "—",
                     "device": "; ".join(devices) or "—"})
    return pd.DataFrame(rows)


def ablation_table(results_dir, dataset: str = "mnist"):
    """Our recipe rows (labelled ablations, never Table 1's rows): accuracy, seeds, epochs, architecture."""
    import pandas as pd

    rows = []
    for experiment, (label, _, _) in RECIPE_ROWS.items():
        rec = load_record(results_dir, "paper", dataset, experiment)
        rows.append({"ablation (not the paper's protocol)": label,
                     "accuracy % (majority)": NOT_RUN if rec is None else row_text(rec),
                     "architecture": "—" if rec is None else rec["params"].get("architecture", "conv")})
    return pd.DataFrame(rows)


def run_or_read(results_dir, profile: str, dataset: str, experiment: str, run: Callable[[], RunResult], *,
                rerun: bool | None = None) -> dict:
    """The record of ``experiment``: run it (``run()``) or read the committed one.

    The one policy of the book: the ``ci`` profile always runs (the build checks the code);
    the ``paper`` profile reads its committed record when there is one, because it costs
    far more than a build (``rerun=True`` forces a run, ``rerun=False`` forbids one).
    """
    path = record_path(results_dir, profile, dataset, experiment)
    if rerun is None:
        rerun = profile == "ci" or not path.exists()
    if rerun:
        return run().record
    if not path.exists():
        raise FileNotFoundError(f"no record at {path} and rerun=False; run the chapter with rerun=True")
    return read_record(path)


def run_paper_protocol(dataset: str, *, profile: str, results_dir, data_dir=None, seeds=None, epochs=None,
                       eval_every=None, kmeans_n_init=None, n_train=None, n_test=None, device: str = "cpu",
                       architecture: str = "dense", budget_minutes: float | None = None,
                       n_workers: int = 1, log: bool = False) -> dict[str, RunResult]:
    """Run (or resume) every job of Table 1's AE rows, then write each row's record from its finished seeds.

    ``budget_minutes=0`` runs nothing and only gathers (the ``paper`` profile's jobs run
    for hours: ``make paper-ae``); None runs every job to the end. Returns, per row, a
    :class:`RunResult` whose ``record`` is None while no seed has finished and whose
    ``outputs["jobs"]`` holds the job files (done or running).
    """
    settings = ae_settings(profile, seeds=seeds, epochs=epochs, eval_every=eval_every, kmeans_n_init=kmeans_n_init,
                           n_train=n_train, n_test=n_test)
    jobs = paper_jobs(EXPERIMENTS, settings["seeds"], dataset=dataset, profile=profile, epochs=settings["epochs"],
                      architecture=architecture, n_train=settings["n_train"], n_test=settings["n_test"],
                      eval_every=settings["eval_every"], device=device, kmeans_n_init=settings["kmeans_n_init"])
    if budget_minutes is None or budget_minutes > 0:
        run_jobs(jobs, results_dir, data_dir=data_dir, n_workers=n_workers, budget_minutes=budget_minutes, log=log)
    out = {}
    for experiment in EXPERIMENTS:
        record = gather_record(results_dir, profile, dataset, experiment, seeds=settings["seeds"])
        if record is not None:
            write_record(record, results_dir)
        out[experiment] = RunResult(record, outputs={"jobs": job_states(results_dir, profile, dataset, experiment,
                                                                        settings["seeds"])})
    return out


# ----------------------------------------------------------------------------- tables and figures

def parameter_table():
    """Parameter counts of each AE row: the paper's, the dense reading (ours) and the conv ablation."""
    import pandas as pd


    paper = paper_results()["table1"]["rows"]
    dense, conv = parameter_counts("dense"), parameter_counts("conv")
    rows = []
    for name in TABLE3_SIZES:
        enc, lat, dec = TABLE3_SIZES[name]
        rows.append({"row": ROW_LABELS[name], "encoder / latent / decoder (Table 3)": f"{enc} / {lat} / {dec}",
                     "paper": paper.get(name, {}).get("n_parameters", "—"), "dense (ours, the paper's)": f"{dense[name]:,}",
                     "conv, 16 channels (ablation)": f"{conv[name]:,}"})
    return pd.DataFrame(rows)


def parameter_gaps() -> dict[str, tuple[float, float]]:
    """Per architecture, the smallest and largest relative gap (percent) to Table 1's "+200K"-style counts."""
    import re


    paper = {name: float(re.sub(r"[^0-9.]", "", row["n_parameters"])) * 1000
             for name, row in paper_results()["table1"]["rows"].items() if name in TABLE3_SIZES}
    out = {}
    for architecture in ("dense", "conv"):
        counts = parameter_counts(architecture)
        gaps = [100 * abs(counts[name] - paper[name]) / paper[name] for name in TABLE3_SIZES]
        out[architecture] = (min(gaps), max(gaps))
    return out


def accuracy_curves(record_or_jobs, key: str = "eval_accuracy_majority"):
    """Monitored test accuracy per seed: DataFrame, index = epoch, one column per seed (percent; NaN = not reached).

    Takes a row's record (its ``curves``) or a list of job files.
    """
    import pandas as pd

    if isinstance(record_or_jobs, Mapping):
        curves = record_or_jobs.get("curves", {})
    else:
        curves = {str(s["seed"]): s["curve"] for s in record_or_jobs}
    series = {f"seed {seed}": pd.Series({c["epoch"]: 100 * c[key] for c in curve if key in c})
              for seed, curve in curves.items()}
    return pd.DataFrame(series).sort_index()


def stops_improving(mean_curve, tolerance: float = 1.0):
    """The first monitored epoch after which the mean accuracy never rises more than ``tolerance`` points.

    ``mean_curve``: pandas Series (epoch -> percent). Returns ``(epoch, still_rising)``;
    ``still_rising`` is True when that epoch is the last one measured.
    """
    values = mean_curve.dropna()
    if values.empty:
        raise ValueError("stops_improving needs at least one measured epoch")
    later_max = values[::-1].cummax()[::-1]            # best accuracy from each epoch on
    settled = values.index[(later_max - values) <= tolerance]
    epoch = int(settled[0])
    return epoch, epoch == int(values.index[-1])


def budget_table(curves: Mapping[str, object], paper: Mapping[str, float | None], planned_epochs: int,
                 tolerance: float = 1.0):
    """The budget question per row: where the mean accuracy stops improving, and where it ends.

    Columns: seeds, last epoch reached, mean accuracy there, best mean accuracy (epoch), the
    epoch after which it never gains more than ``tolerance`` points, the paper's number.
    """
    import pandas as pd

    rows = []
    for row, df in curves.items():
        if df.empty:
            rows.append({"row": ROW_LABELS.get(row, row), "seeds": 0, "last epoch": "not run yet"})
            continue
        complete = df.dropna(axis=0, how="any")
        mean = (complete if not complete.empty else df).mean(axis=1)
        epoch, rising = stops_improving(mean, tolerance)
        rows.append({"row": ROW_LABELS.get(row, row), "seeds": df.shape[1],
                     "epoch reached (of %d)" % planned_epochs: int(mean.index[-1]),
                     "accuracy % there": round(float(mean.iloc[-1]), 2),
                     "best % (epoch), by test labels": f"{mean.max():.2f} ({int(mean.idxmax())})",
                     f"stops improving (±{tolerance:g} pt) at epoch": f"{epoch}" + (" (still rising)" if rising else ""),
                     "paper %": paper.get(row)})
    return pd.DataFrame(rows)


def budget_sentence(curves: Mapping[str, object], planned_epochs: int, tolerance: float = 1.0) -> str:
    """The budget question answered in words, row by row, from the mean curves (Markdown)."""
    parts = []
    for row, df in curves.items():
        if df.empty:
            parts.append(f"{ROW_LABELS.get(row, row)}: not run yet")
            continue
        mean = df.mean(axis=1)
        epoch, rising = stops_improving(mean, tolerance)
        last = int(mean.index[-1])
        reached = f"{last} of {planned_epochs} epochs reached"
        if rising:
            parts.append(f"{ROW_LABELS.get(row, row)} was still gaining at epoch {last} ({reached})")
        else:
            parts.append(f"{ROW_LABELS.get(row, row)} gains no more than {tolerance:g} point after epoch {epoch} "
                         f"({mean.loc[epoch]:.1f} % then, {mean.iloc[-1]:.1f} % at epoch {last}; {reached})")
    return "; ".join(parts) + "."


def kmeans_readings_table(record: dict):
    """Every reading of "K-means on the AE latent": label-free start, the paper's best of the starts, training evidence."""
    import pandas as pd

    rows = []
    for reading in KMEANS_READINGS:
        m = record["readings"][reading]

        def pct(metric):
            return f"{100 * m[metric]['mean']:.2f} ± {100 * m[metric]['std']:.2f}"

        rows.append({"K-means on": reading.replace("_", ", ").replace("latent", "h_AE").replace("head", "10-unit head"),
                     "train accuracy % (label-free)": pct("train_accuracy_majority"),
                     "test % (label-free start)": pct("accuracy_majority"),
                     "test % (best of starts, paper)": pct("accuracy_majority_best_of_inits"),
                     "chosen": "yes" if reading == record["params"]["kmeans_reading"] else ""})
    return pd.DataFrame(rows)


def per_seed_table(records: Sequence[dict], metrics: Sequence[str] | None = None):
    """One row per (experiment, metric): the value of every seed, mean and std, in percent.

    ``metrics``: which to show, in that order (those a record lacks are skipped); None = all.
    A seed a row did not run shows "—" (not NaN).
    """
    frame = per_seed_frame({rec["experiment"]: rec for rec in records}, metrics)
    return frame.astype(object).fillna("—")


def per_seed_table_for_page(records: Sequence[dict], metrics: Sequence[str] | None = None):
    """:func:`per_seed_table` as a reader sees it: Table 1's row names and metric names in words as
    columns; without "mean" and "std" when no record has more than one seed (they would repeat the seed)."""
    return per_seed_for_page(per_seed_table(records, metrics), ROW_LABELS)
