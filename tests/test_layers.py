"""The library's public faces and its layers: models, data and metrics below, the book's harness on top."""
from __future__ import annotations

import ast
from pathlib import Path

import osa_lib

PACKAGE = Path(osa_lib.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every ``osa_lib...`` module a file imports (absolute imports; the library uses no relative ones)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            if node.module and node.module.startswith("osa_lib"):
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("osa_lib"))
    return names


def test_public_imports_keep_working():
    from osa_lib import AEACRBM, AEKMeans, LOC, ShallowACRBM  # noqa: F401
    from osa_lib.acrbm import ACRBM, acrbm_loss, confidence_loss  # noqa: F401
    from osa_lib.data import load_dataset  # noqa: F401
    from osa_lib.metrics import cluster_accuracy, segmentation_scores  # noqa: F401


def test_nothing_below_the_book_imports_it():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if "book" in path.relative_to(PACKAGE).parts:
            continue
        upward = sorted(m for m in imported_modules(path) if m.startswith("osa_lib.book"))
        if upward:
            offenders[str(path.relative_to(PACKAGE))] = upward
    assert offenders == {}


def test_models_do_not_import_each_others_packages():
    """Clustering and segmentation sit side by side: neither imports the other."""
    for package, other in (("clustering", "osa_lib.segmentation"), ("segmentation", "osa_lib.clustering")):
        for path in (PACKAGE / package).rglob("*.py"):
            assert not any(m.startswith(other) for m in imported_modules(path)), path


def test_imported_modules_sees_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from osa_lib.book import records\nimport osa_lib.metrics\n")
    assert {"osa_lib.book", "osa_lib.book.records", "osa_lib.metrics"} <= imported_modules(f)
