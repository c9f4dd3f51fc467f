"""Docstrings and comments cite only modules, names and documents the repository has."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import osa_lib

PACKAGE = Path(osa_lib.__file__).resolve().parent
#: Documents outside the repository that a reader of it does not have.
ABSENT_DOCUMENTS = re.compile(r"\b(SPEC|STYLE)\s*§")


def resolves(dotted: str) -> bool:
    """True when ``dotted`` is a module, or a module's attribute (an attribute's attribute too)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_every_cited_osa_lib_path_exists():
    missing = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for dotted in set(re.findall(r"\bosa_lib(?:\.\w+)+", path.read_text())):
            if not resolves(dotted.rstrip(".")):
                missing.setdefault(str(path.relative_to(PACKAGE)), []).append(dotted)
    assert missing == {}


def test_no_citation_of_documents_outside_the_repository():
    cited = {str(p.relative_to(PACKAGE)): ABSENT_DOCUMENTS.findall(p.read_text()) for p in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in cited.items() if v} == {}


def test_the_checks_see_what_they_look_for():
    assert resolves("osa_lib.book.judge.verdicts.row_verdict") and resolves("osa_lib.clustering")
    assert not resolves("osa_lib.autoencoder") and not resolves("osa_lib.analysis.diagonal_mass")
    assert ABSENT_DOCUMENTS.search("the record (SPEC §5)")
