"""The source line under a table or figure: which record made it, at which commit, on which data copy and machine.

    source_line(results_dir, [("paper", "mnist", "kmeans"), ("paper", "mnist", "shallow_acrbm_10")])
    -> '<p class="osa-source">Source: results/paper/mnist/kmeans.json, ... · commit 1a2b3c4d · MNIST: ...</p>'

The record file is linked to the repository's copy at the record's commit when the build names a
repository (``OSA_BOOK_REPOSITORY``, set by ``scripts/build_book.py`` from the same rule as the book's
buttons); without one the file name is plain text (no invented address). A missing record reads
"no record yet". Exhibits drawn from an exhibits file (``results/<profile>/<dataset>/exhibits/<name>.json``,
:func:`osa_lib.book.provenance.records.read_exhibits`) name it after the record that wrote it (``exhibits=``).
A table or figure that is no result (parameters, protocol, the paper's own numbers, a diagram) is wrapped in
:func:`not_results` (or its code cell is tagged ``not-results``) instead. The browser check
(``scripts/check_pages.py``, ``page_rules.source_line_problems``) looks for these classes.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from osa_lib.book.provenance.data_copy import DATASET_NAMES, canonical_flags
from osa_lib.book.provenance.records import (REPOSITORY_RESULTS, dataset_records, exhibits_file_name, load_record,
                                             record_file_name)

#: The class the browser check looks for under every exhibit of results.
SOURCE_CLASS = "osa-source"
#: The class of a wrapper around a table or figure that is not a result (no source line needed).
NOT_RESULTS_CLASS = "osa-not-results"
#: Where the repository's URL comes from (``make book REPOSITORY=...``; CI: GitHub's own variables).
REPOSITORY_ENV = "OSA_BOOK_REPOSITORY"


def _machine(device: str) -> str:
    """"cpu: x86_64 (AVX512), 1 torch threads" -> "CPU x86_64 (AVX512), 1 thread"."""
    kind, _, rest = str(device or "").partition(":")
    rest = rest.strip().replace("torch ", "").replace("1 threads", "1 thread")
    label = "GPU" if kind.strip().startswith("cuda") else kind.strip().upper() or "machine not recorded"
    return f"{label} {rest}".strip()


def _copy(dataset: str, provenance, known) -> str:
    """"MNIST: official files" / "MNIST: rebuilt train-images-idx3-ubyte" / "... copy not recorded"; an older
    record's digests are recognised through the ``known`` provenances that carry flags (the data-copy
    chapter text says why a file was rebuilt)."""
    flags = canonical_flags(provenance, known)
    name = DATASET_NAMES.get(dataset, dataset)
    if not flags:
        copy = provenance.get("copy") if isinstance(provenance, Mapping) else None
        return f"{name}: {copy}" if copy else f"{name}: copy not recorded"
    rebuilt = sorted(f for f, flag in flags.items() if flag is False)
    if rebuilt:
        return f"{name}: rebuilt {', '.join(rebuilt)}"
    return f"{name}: official files" if all(flags.values()) else f"{name}: copy not identified"


def _unidentified(record: Mapping, known) -> bool:
    """True when a record's data files have no canonical flag of their own or in ``known``."""
    flags = canonical_flags(record.get("data"), known)
    return bool(flags) and any(flag is None for flag in flags.values())


def _committed_provenances(datasets) -> list[Mapping]:
    """The data provenances of the repository's paper-profile records of ``datasets``: an older record stores
    only digests, and a newer record of the same data set tells whether those digests are the official files."""
    return [r["data"] for d in sorted(filter(None, datasets)) for r in dataset_records(REPOSITORY_RESULTS, "paper", d)
            if isinstance(r.get("data"), Mapping) and "files" in r["data"]]


def _commit(record: Mapping) -> str:
    commit = str(record.get("git_commit") or "")
    return commit[:8] + (" (uncommitted changes)" if "dirty" in commit else "") if commit else "commit not recorded"


def _file_link(relative: str, record: Mapping, repository: str | None) -> str:
    commit = str(record.get("git_commit") or "").split("+")[0]
    if repository and commit and "dirty" not in str(record.get("git_commit")):
        href = f"{repository.rstrip('/')}/blob/{commit}/{relative}"
        return f'<a href="{html.escape(href)}">{html.escape(relative)}</a>'
    return f"<code>{html.escape(relative)}</code>"


def source_line(results_dir, sources: Iterable[Sequence[str]], *, repository: str | None = None,
                note: str | None = None, exhibits: Iterable[Sequence[str]] = ()) -> str:
    """HTML paragraph naming the records behind one exhibit.

    ``sources``: ``(profile, dataset, experiment)`` triples, one per record the exhibit reads; a missing
    record reads "no record yet". ``repository``: the URL to link files to (default:
    ``$OSA_BOOK_REPOSITORY``, else none). ``note``: a few words added at the end (e.g. "seeds 2-6").
    ``exhibits``: ``(profile, dataset, name)`` of exhibits files the exhibit draws, named after the records
    (linked at the commit of the record of the same profile and data set).
    Each record gives its file, commit, data copy and machine; facts shared by every record are said once.
    """
    entries = []
    for profile, dataset, experiment in sources:
        entries.append((record_file_name(profile, dataset, experiment),
                        load_record(results_dir, profile, dataset, experiment)))
    if not entries:
        raise ValueError("source_line needs at least one (profile, dataset, experiment)")
    return _line(entries, repository, note, exhibits)


def records_source_line(records: Iterable[Mapping | None], *, repository: str | None = None,
                        note: str | None = None, exhibits: Iterable[Sequence[str]] = ()) -> str:
    """:func:`source_line` for records already read (each names its ``profile``, ``dataset`` and
    ``experiment``); ``None`` entries (rows not run) are left out. No record at all: a line that says so."""
    entries = [(record_file_name(r["profile"], r["dataset"], r["experiment"]), r) for r in records if r is not None]
    if not entries:
        return f'<p class="{SOURCE_CLASS}">Source: no record yet' + (f" · {html.escape(note)}" if note else "") + "</p>"
    return _line(entries, repository, note, exhibits)


def files_source_line(files: Iterable[str], *, note: str | None = None) -> str:
    """The source line of an exhibit read from files that are no records (e.g. execution-time files): each
    named by its path inside the repository when it lies there (relative paths as a notebook gives them,
    ``../results/...``), else by its file name, never by a path of the build machine."""
    root = REPOSITORY_RESULTS.parent.resolve()
    names = []
    for f in files:
        path = Path(f).resolve()
        names.append(path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name)
    parts = ["Source: " + ", ".join(f"<code>{html.escape(n)}</code>" for n in dict.fromkeys(names))]
    parts += [html.escape(note)] if note else []
    return f'<p class="{SOURCE_CLASS}">' + " · ".join(parts) + "</p>"


def not_results(table_or_html) -> str:
    """HTML of a table or figure that is not a result (a parameter or protocol table, the paper's or the
    literature's own numbers), wrapped so that the browser check asks no source line of it. Takes HTML text
    or anything with ``_repr_html_`` (a pandas Styler or DataFrame)."""
    inner = table_or_html if isinstance(table_or_html, str) else table_or_html._repr_html_()
    return f'<div class="{NOT_RESULTS_CLASS}">{inner}</div>'


def _line(entries, repository, note, exhibits=()) -> str:
    repository = repository if repository is not None else (os.environ.get(REPOSITORY_ENV) or None)
    files, commits, copies, machines = [], [], [], []
    known = [r.get("data") for _, r in entries if r is not None and isinstance(r.get("data"), Mapping)]
    known += _committed_provenances({r.get("dataset") for _, r in entries if r is not None}
                                    if any(_unidentified(r, known) for _, r in entries if r is not None) else ())
    for relative, record in entries:
        if record is None:
            files.append(f"<code>{html.escape(relative)}</code> (no record yet)")
            continue
        dataset = record.get("dataset", "")
        files.append(_file_link(relative, record, repository))
        commits.append(html.escape(_commit(record)))
        copies.append(_copy(dataset, record.get("data"), known))
        machines.append(_machine(record.get("device", "")))

    def once(items):
        return "; ".join(dict.fromkeys(items))

    for profile, dataset, name in exhibits:
        record = next((r for _, r in entries
                       if r is not None and (r.get("profile"), r.get("dataset")) == (profile, dataset)), None)
        relative = exhibits_file_name(profile, dataset, name)
        files.append(_file_link(relative, record, repository) if record is not None
                     else f"<code>{html.escape(relative)}</code>")

    parts = ["Source: " + ", ".join(dict.fromkeys(files))]
    parts += [f"commit {once(commits)}"] if commits else []
    parts += [html.escape(once(copies))] if copies else []
    parts += [html.escape(once(machines))] if machines else []
    parts += [html.escape(note)] if note else []
    return f'<p class="{SOURCE_CLASS}">' + " · ".join(parts) + "</p>"
