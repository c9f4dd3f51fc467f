"""Which copy of each data set produced a record, in words, and whether this build reads the same copy.

Records store the data's provenance in two shapes: ``{"files": {name: {"sha256", "canonical", ...}}}``
(:func:`osa_lib.data.mnist.data_provenance`) and, in older records, ``{"sha256": {name: 16-hex prefix}}``.
A file is *canonical* when it is byte-identical to the official file (its md5 is the published one),
*rebuilt* when not (the offline copy's MNIST training images were rebuilt from a lossless PNG copy; see
the data README). An older record's copy is recognised by matching its digests against a provenance
whose canonical flags are known (this build's, or a newer record's).
"""
from __future__ import annotations

from typing import Iterable, Mapping

#: Data sets in words.
DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "flowers17": "Oxford 17 flowers",
                 "flowers102": "Oxford 102 flowers"}
#: Why a file can differ from the official one, per data set (from the offline data's README).
REBUILT_REASON = {
    "mnist": "the official archive was not reachable offline; the training images were rebuilt from a public "
             "PNG copy through an inverse tone curve, 10,000 rows exact and the others within one grey level "
             "(of 255) of the original; labels, image order and test set official",
}


def file_digests(provenance: Mapping | None) -> dict[str, str]:
    """``{file: sha256 (or its 16-hex prefix)}`` of a record's ``data`` entry, either shape."""
    if not provenance:
        return {}
    if "files" in provenance:
        return {name: info.get("sha256", "") for name, info in provenance["files"].items()}
    return dict(provenance.get("sha256", {}))


def canonical_flags(provenance: Mapping | None, known: Iterable[Mapping] = ()) -> dict[str, bool | None]:
    """``{file: True (official) / False (rebuilt) / None (unknown)}`` for a record's ``data`` entry; files of
    an older record are looked up by digest prefix in the ``known`` provenances that carry flags."""
    if provenance and "files" in provenance:
        return {name: (info.get("canonical") if isinstance(info.get("canonical"), bool) else None)
                for name, info in provenance["files"].items()}
    table = {}
    for other in known:
        for name, info in (other or {}).get("files", {}).items():
            if isinstance(info.get("canonical"), bool) and info.get("sha256"):
                table[info["sha256"][:16]] = info["canonical"]
    return {name: table.get(digest[:16]) for name, digest in file_digests(provenance).items()}


def copy_words(dataset: str, provenance: Mapping | None, known: Iterable[Mapping] = ()) -> str:
    """"canonical files" / "training images rebuilt (why), the rest canonical" / "not recorded"."""
    flags = canonical_flags(provenance, known)
    if not flags:
        return "not recorded"
    rebuilt = sorted(name for name, flag in flags.items() if flag is False)
    unknown = sorted(name for name, flag in flags.items() if flag is None)
    if rebuilt:
        what = ", ".join(rebuilt)
        return f"rebuilt {what} ({REBUILT_REASON.get(dataset, 'not byte-identical to the official file')}); " \
               f"the other files official"
    if unknown:
        return "copy not identified (no official digest to compare with)"
    return "official (canonical) files"


def same_copy(a: Mapping | None, b: Mapping | None) -> bool | None:
    """True when two provenances name the same files with the same digests (prefix match); None when either
    is missing."""
    da, db = file_digests(a), file_digests(b)
    if not da or not db:
        return None
    common = set(da) & set(db)
    return bool(common) and all(da[n][:16] == db[n][:16] for n in common)


def data_copy_sentence(dataset: str, records: Iterable[Mapping], build_provenance: Mapping | None = None) -> str:
    """One sentence for a page: which copy of ``dataset`` the records on it used (digests in the records),
    and whether this build's own data copy is the same."""
    name = DATASET_NAMES.get(dataset, dataset)
    records = [r for r in records if r and r.get("data")]
    if not records:
        return f"{name}: no record here stores its data copy."
    known = [r["data"] for r in records] + ([build_provenance] if build_provenance else [])
    words = sorted({copy_words(dataset, r["data"], known) for r in records})
    text = f"{name} records: {'; '.join(words)}"
    if build_provenance is not None:
        same = {same_copy(r["data"], build_provenance) for r in records}
        if same == {True}:
            text += "; this build read the same copy"
        elif False in same:
            text += ("; this build read a different copy (" + copy_words(dataset, build_provenance, known)
                     + "), so its own small run is not on the records' data")
    return text + "."
