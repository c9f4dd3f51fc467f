"""One parameter layer for every chapter: each notebook parameter declared once.

Every chapter's ``parameters`` cell lists its parameters with a default and a comment
(``papermill --help-notebook`` reads those). This module declares the same parameters
with their type, allowed values, meaning and, where the notebook default is ``None``,
the default of each profile (read from the chapter's runner module). The cell after
each ``parameters`` cell calls::

    globals().update(check_parameters("shallow_acrbm", globals()))

which

* converts values as they arrive: papermill's ``-p seeds '[0, 1]'`` hands over the
  string ``"[0, 1]"``, ``-y 'seeds: [0, 1]'`` a list, Python callers a tuple; ``"0, 1"``,
  ``"0 1"`` and a bare ``0`` work too; booleans from ``"True"``/``"false"``/``1``;
* stops an invalid value with :class:`ParameterError`, whose message names the
  parameter, the value and what is allowed (unknown data set, K < 2, an empty list,
  epochs <= 0, ``n_train`` larger than the data, ...);
* clamps sizes that come from the profile to the data a run loads (the AE recipe
  search's validation rows to a quarter of ``n_train``, the linear AEs' rows to
  ``n_train`` and their latent size below those rows, ...); a value given explicitly
  is never changed, only checked;
* refuses to write into a folder of committed records (``results/paper/<dataset>/``
  tracked by git) unless ``overwrite`` is true: the message names ``-p results_dir``.

A test checks that each notebook's ``parameters`` cell declares exactly these names
with these defaults, so ``papermill --help-notebook`` and this module agree.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from osa_lib.book.harness.parameter_types import Chapter, Param, ParameterError, convert
from osa_lib.book.harness.profiles import (AE_PROFILES, CLUSTERING_PROFILES, DERIVATION_PROFILES, DOMAIN_PROFILES,
                                           LOC_PROFILES)
from osa_lib.book.provenance.records import PROFILES, committed_records, records_folder

#: Sizes of the data each chapter can load (``None``: not known before loading).
DATA_SIZES = {
    "mnist": {"n_train": 60_000, "n_test": 10_000},
    "fashion_mnist": {"n_train": 60_000, "n_test": 10_000},
    # Oxford 17 with trimaps: 1,106 training-split images, 592 of them with a trimap, 254 test images.
    "flowers17": {"n_train": 1_106, "n_val": 592, "n_test": 254},
    "flowers102": {},
}
CLUSTERING_DATASETS = ("mnist", "fashion_mnist")
SEGMENTATION_DATASETS = ("flowers17", "flowers102")
# --------------------------------------------------------------------------- shared declarations

def _profile():
    return Param("profile", "str", "ci", "'ci' (subsets, fewer epochs) or 'paper' (the paper's sizes)",
                 choices=PROFILES)


def _data_dir():
    return Param("data_dir", "path", None, "data root; None -> $OSA_DATA_DIR, else data/", optional=True)


def _results_dir():
    return Param("results_dir", "path", "../results", "records go to <results_dir>/<profile>/<dataset>/")


def _device():
    return Param("device", "str", "cpu", "torch device: 'cpu', 'cuda' or 'cuda:1'")


def _threads(default=1):
    return Param("threads", "int", default, "CPU threads for torch and BLAS", minimum=1)


def _overwrite():
    return Param("overwrite", "bool", False, "True: write over committed records in results_dir")


def _progress(default=None):
    return Param("progress", "bool", default, "progress bars" + ("; None -> on" if default is None else "")
                 + " (off when $OSA_PROGRESS is 0)", optional=default is None)


def _size(name, meaning, data_key=None, minimum=1):
    return Param(name, "int", None, meaning, minimum=minimum, optional=True, profile_key=name, data_key=data_key)


def _seeds(name="seeds", meaning="seeds of the table's rows"):
    return Param(name, "ints", None, meaning, minimum=0, optional=True, profile_key=name)


def _epochs(name="epochs", meaning="training epochs"):
    return Param(name, "int", None, meaning, minimum=1, optional=True, profile_key=name)


def _clustering_profiles():
    return CLUSTERING_PROFILES


def _derivation_profiles():
    return DERIVATION_PROFILES


def _ae_profiles():
    return AE_PROFILES


def _domain_profiles():
    return DOMAIN_PROFILES


def _loc_profiles():
    return LOC_PROFILES


def _effective(values: dict, name: str, profile_table: Mapping, dataset: str | None) -> int | None:
    """A size as the run will use it: the value, else the profile's, else the whole data set (None: unknown)."""
    value = values.get(name)
    if value is None:
        value = profile_table.get(name)
    if value is None and dataset is not None:
        value = DATA_SIZES.get(dataset, {}).get(name)
    return value


def _derive_ae(values: dict, dataset: str | None) -> dict:
    """The recipe search's rows come from the training rows: clamp the profile's sizes to them."""
    table = _ae_profiles()[values["profile"]]
    n_train = _effective(values, "n_train", table, dataset)
    explicit = {k: values[k] for k in ("search_n_fit", "search_n_val") if values.get(k) is not None}
    n_val = values.get("search_n_val") or min(table["search_n_val"], max(1, n_train // 4))
    n_fit = values.get("search_n_fit") or min(table["search_n_fit"], n_train - n_val)
    if n_val + n_fit > n_train or n_val >= n_train:
        raise ParameterError(f"search_n_fit + search_n_val = {n_fit} + {n_val} exceed the {n_train} training "
                             f"rows (n_train); allowed: at most n_train together, "
                             f"got {explicit or {'n_train': n_train}}")
    values.update(search_n_fit=int(n_fit), search_n_val=int(n_val))
    return values


def _derive_derivations(values: dict, dataset: str | None) -> dict:
    table = _derivation_profiles()[values["profile"]]
    n_train = _effective(values, "n_train", table, "mnist")
    if values.get("ae_rows") is None:
        values["ae_rows"] = int(min(table["ae_rows"], n_train))
    elif values["ae_rows"] > n_train:
        raise ParameterError(f"ae_rows = {values['ae_rows']} exceeds the {n_train} training images (n_train); "
                             f"allowed: an integer in [1, n_train]")
    # Eq 4-7 compare the linear autoencoders with the best rank-D reconstruction of their rows: with
    # D >= ae_rows that reconstruction is exact (its error 0), so D must stay below the rows.
    if values.get("n_latent") is None:
        values["n_latent"] = int(min(table["n_latent"], values["ae_rows"] - 1))
    elif values["n_latent"] >= values["ae_rows"]:
        raise ParameterError(f"n_latent = {values['n_latent']} is not below the {values['ae_rows']} training rows of "
                             f"the linear autoencoders (ae_rows): their best rank-{values['n_latent']} "
                             f"reconstruction would be exact; allowed: an integer in [1, ae_rows - 1]")
    return values


def _derive_shallow(values: dict, dataset: str | None) -> dict:
    table = _clustering_profiles()[values["profile"]]
    n_test = _effective(values, "n_test", table, dataset)
    if values.get("tsne_points") is None:
        values["tsne_points"] = int(min(table["tsne_points"], n_test))
    return values


CHAPTERS: dict[str, Chapter] = {}


def _register(chapter: Chapter) -> None:
    CHAPTERS[chapter.name] = chapter


_register(Chapter("shallow_acrbm", "notebooks/shallow_acrbm.ipynb", (
    _profile(),
    Param("dataset", "str", "mnist", "data set", choices=CLUSTERING_DATASETS),
    _data_dir(), _results_dir(), _device(), _threads(1),
    _seeds(meaning="seeds of Table 1's rows"),
    _epochs(meaning="ACRBM training epochs"),
    _size("n_train", "training images", "n_train", minimum=100),
    _size("n_test", "test images", "n_test", minimum=20),
    Param("cluster_sizes", "ints", [10, 30], "K of the shallow-ACRBM rows of Table 1", minimum=2),
    Param("sweep_sizes", "ints", None, "K values of Figure 9", minimum=2, optional=True, profile_key="sweep_sizes"),
    _seeds("sweep_seeds", "seeds per K in Figure 9"),
    # 21: Figure 8's trustworthiness counts 10 neighbours, which needs more than twice as many points
    _size("tsne_points", "test images in the t-SNE of Figure 8", minimum=21),
    _progress(None), _overwrite(),
), _clustering_profiles, lambda v: v["dataset"], _derive_shallow))

_register(Chapter("derivations", "notebooks/derivations.ipynb", (
    _profile(), _data_dir(), _results_dir(), _device(),
    Param("seed", "int", 0, "seed of the subsets, initialisations and batch orders", minimum=0),
    _size("n_train", "ACRBM training images", "n_train", minimum=100),
    _size("n_test", "test images read out", "n_test", minimum=20),
    _epochs(meaning="ACRBM epochs"),
    Param("n_latent", "int", None, "latent size D of the linear autoencoders", minimum=1, maximum=784,
          optional=True, profile_key="n_latent"),
    _size("ae_rows", "training rows of the linear autoencoders", minimum=2),
    _epochs("ae_epochs", "linear-autoencoder epochs"),
    Param("cluster_sizes", "ints", [10, 30], "K of the trained ACRBMs", minimum=2),
    _threads(1), _overwrite(),
), _derivation_profiles, lambda v: "mnist", _derive_derivations))

_register(Chapter("ae_acrbm", "notebooks/ae_acrbm.ipynb", (
    _profile(),
    Param("dataset", "str", "mnist", "data set", choices=CLUSTERING_DATASETS),
    _data_dir(), _results_dir(), _device(), _threads(1),
    _seeds(meaning="seeds of the jobs"),
    _epochs(meaning="epochs per job"),
    _size("n_train", "training images", "n_train", minimum=100),
    _size("n_test", "test images", "n_test", minimum=20),
    _size("kmeans_n_init", "K-means starts"),
    _size("search_n_fit", "recipe search: rows to fit on"),
    _size("search_n_val", "recipe search: validation rows"),
    Param("budget_minutes", "float", None, "stop the jobs after this many minutes; 0: only read", minimum=0, optional=True),
    Param("workers", "int", 1, "jobs at a time", minimum=1),
    _progress(None), _overwrite(),
), _ae_profiles, lambda v: v["dataset"], _derive_ae))

_register(Chapter("loc", "notebooks/loc.ipynb", (
    _profile(),
    Param("dataset", "str", "flowers17", "data set", choices=SEGMENTATION_DATASETS),
    _data_dir(), _results_dir(), _device(), _threads(2),
    _seeds(meaning="seeds of Table 2's rows"),
    _epochs(meaning="LOC training epochs for Table 2"),
    _epochs("study_epochs", "epochs of the open-question and rho studies"),
    Param("image_size", "int", None, "images are resized to image_size x image_size", minimum=16, maximum=512,
          optional=True, profile_key="image_size"),
    Param("rho", "float", 0.5, "the hinge's lower bound", minimum=0, maximum=1),
    Param("rho_values", "floats", None, "rho values of the rho study", minimum=0, maximum=1, optional=True,
          profile_key="rho_values"),
    _size("n_train", "training images", "n_train", minimum=8),
    _size("n_val", "validation images", "n_val", minimum=2),
    _size("n_test", "test images", "n_test", minimum=2),
    Param("n_show", "int", 6, "images shown in the image grids", minimum=1),
    _progress(False), _overwrite(),
), _loc_profiles, lambda v: v["dataset"]))

_register(Chapter("other_domains", "notebooks/other_domains.ipynb", (
    _profile(), _results_dir(),
    _seeds(meaning="seeds of every row"),
    _epochs(meaning="ACRBM training epochs (shallow and AE)"),
    _threads(1), _overwrite(),
), _domain_profiles, lambda v: "sklearn_digits"))

for _page in ("intro", "summary", "report"):
    _register(Chapter(_page, f"book/{_page}.ipynb", (
        Param("build_profile", "str", "ci", "the profile this build executed", choices=PROFILES),
        Param("results_dir", "path", "../results", "where the records are"),
    )))
_register(Chapter("rerun", "book/rerun.ipynb", (
    Param("times_file", "path", "../_build/execution_times.json", "this build's times (scripts/build_book.py)"),
    Param("paper_times_file", "path", "../results/paper/execution_times.json", "times of the last paper build"),
)))


def chapter(name: str) -> Chapter:
    if name not in CHAPTERS:
        raise KeyError(f"no chapter {name!r}; known: {sorted(CHAPTERS)}")
    return CHAPTERS[name]


def profile_default(chapter_name: str, name: str, profile: str):
    """The value the profile gives a parameter whose notebook default is None (None: the whole data)."""
    ch = chapter(chapter_name)
    p = ch.param(name)
    if p.profile_key is None or ch.profiles is None:
        return p.default
    value = ch.profiles()[profile].get(p.profile_key)
    return list(value) if isinstance(value, tuple) else value


def check_results_dir(results_dir, profile: str, dataset: str, overwrite: bool = False) -> None:
    """Refuse a run that would write over committed records (``<results_dir>/<profile>/<dataset>/``)."""
    folder = records_folder(results_dir, profile, dataset)
    tracked = committed_records(folder, without_git=profile == "paper")
    if tracked and not overwrite:
        shown = ", ".join(tracked[:3]) + (f" and {len(tracked) - 3} more" if len(tracked) > 3 else "")
        raise ParameterError(
            f"parameter 'results_dir' got {str(results_dir)!r}: {folder} holds committed {profile}-profile "
            f"records ({shown}) that this run would overwrite; allowed: another folder, e.g. "
            f"-p results_dir /tmp/osa_results, or -p overwrite True to replace them")


def check_parameters(name: str, namespace: Mapping) -> dict:
    """The chapter's parameters from ``namespace`` (a notebook's ``globals()``), converted and checked.

    Returns a dict to ``update`` the namespace with. Raises :class:`ParameterError`.
    """
    __tracebackhide__ = True      # IPython shows the message, not this module's frames
    ch = chapter(name)
    values = {}
    for p in ch.params:
        values[p.name] = convert(p, namespace.get(p.name, p.default))
    dataset = ch.dataset(values) if ch.dataset else None
    if dataset is not None:
        sizes = DATA_SIZES.get(dataset, {})
        for p in ch.params:
            limit = sizes.get(p.data_key) if p.data_key else None
            if limit is not None and values[p.name] is not None and values[p.name] > limit:
                raise ParameterError(f"parameter {p.name!r} got {values[p.name]!r}: {dataset} has {limit:,} "
                                     f"{p.meaning}; allowed: an integer in [{p.minimum:g}, {limit}], or None "
                                     "(the profile's value)")
    if ch.derive is not None:
        values = ch.derive(values, dataset)
    if "overwrite" in values and dataset is not None:
        check_results_dir(values["results_dir"], values["profile"], dataset, values["overwrite"])
    return values


def describe(name: str):
    """A table of the chapter's parameters: type, default (per profile), allowed values, meaning."""
    import pandas as pd

    ch = chapter(name)
    rows = []
    for p in ch.params:
        row = {"parameter": p.name, "type": p.kind, "default": repr(p.default)}
        for profile in PROFILES:
            row[f"{profile} profile"] = (repr(profile_default(name, p.name, profile)) if p.profile_key
                                         else repr(p.default))
        rows.append({**row, "allowed": p.allowed(), "meaning": p.meaning})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the parameters cells

_ANNOTATION = {"str": "str", "path": "str", "int": "int", "float": "float", "bool": "bool", "ints": "list",
               "floats": "list", "dict": "dict"}


def _short(value) -> str:
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"{len(value)} values, {_short(value[0])} to {_short(value[-1])}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + "]"
    return "all" if value is None else (f"{value:,}" if isinstance(value, int) else f"{value!r}")


def help_text(chapter_name: str, p: Param) -> str:
    """The comment of a parameter in its notebook (``papermill --help-notebook`` shows it)."""
    text = p.meaning
    if p.choices and not all(repr(c) in text for c in p.choices):
        text += ": " + " or ".join(repr(c) for c in p.choices)
    if p.profile_key and p.default is None:
        per = {profile: _short(profile_default(chapter_name, p.name, profile)) for profile in PROFILES}
        text += "; None -> profile's (" + ", ".join(f"{k}: {v}" for k, v in per.items()) + ")"
    return text


def parameters_cell(name: str) -> str:
    """The source of the chapter's ``parameters`` cell, generated from the declarations."""
    ch = chapter(name)
    lines = ["# declared in osa_lib.book.harness.parameters; the next cell checks the values"]
    for p in ch.params:
        assignment = f"{p.name}: {_ANNOTATION[p.kind]} = {p.default!r}".replace("'", '"')
        lines.append(f"{assignment:34s} # {help_text(name, p)}")
    return "\n".join(lines)


def write_parameters_cells(root=None) -> list[str]:
    """Rewrite every chapter's ``parameters`` cell from the declarations; return the notebooks changed."""
    import nbformat

    root = Path(root) if root else Path(__file__).resolve().parents[3]
    changed = []
    for name, ch in CHAPTERS.items():
        path = root / ch.notebook
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source != parameters_cell(name):
            cell.source = parameters_cell(name)
            nbformat.write(nb, path)
            changed.append(str(path))
    return changed


if __name__ == "__main__":      # python -m osa_lib.book.harness.parameters: regenerate the parameters cells
    print("\n".join(write_parameters_cells()) or "every parameters cell is up to date")
