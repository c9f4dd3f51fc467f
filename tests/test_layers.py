"""The library's public faces and its three layers, bottom to top:

1. the bottom layer: ``acrbm``, ``metrics``, ``train``, ``validation``, ``runtime`` and ``data/``;
2. the estimators: ``clustering/`` and ``segmentation/`` (side by side, neither imports the other);
3. the book's harness: ``book/``.

No import runs up a layer. Module names are unique, and no import takes another module's name.
"""
from __future__ import annotations

import ast
import re
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


def book_import_graph() -> dict[str, set[str]]:
    """``{module: book modules it imports}`` over ``osa_lib/book`` (modules by their own name, unique in the
    library), imports inside functions included."""
    modules = {p.stem: p for p in (PACKAGE / "book").rglob("*.py") if p.name != "__init__.py"}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for m in imported_modules(path):
            imported.update(part for part in m.split(".")[2:] if part in modules)
        graph[name] = imported - {name}
    return graph


#: The book's floors, bottom to top (``osa_lib/book/__init__.py``); the chapters share one floor.
FLOORS = [("provenance",), ("harness",), ("judge",), ("page",),
          ("shallow_chapter", "derivations_chapter", "ae_chapter", "loc_chapter", "domains_chapter"), ("summary",)]


def book_package_of(module: str) -> str:
    return next(p.parent.name for p in (PACKAGE / "book").rglob(f"{module}.py"))


def test_every_book_module_sits_in_a_floor_package():
    packages = {p.name for p in (PACKAGE / "book").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == {p for floor in FLOORS for p in floor}
    assert sorted(p.name for p in (PACKAGE / "book").glob("*.py")) == ["__init__.py"]     # nothing loose


def test_a_floor_imports_only_the_floors_below_and_no_chapter_another():
    level = {package: i for i, floor in enumerate(FLOORS) for package in floor}
    offenders = []
    for module, imported in book_import_graph().items():
        here = book_package_of(module)
        for other in imported:
            there = book_package_of(other)
            if there != here and level[there] >= level[here]:
                offenders.append(f"{here}.{module} imports {there}.{other}")
    assert offenders == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as ``[a, b, ..., a]``, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_in_the_book_harness():
    assert find_cycle(book_import_graph()) is None


def test_the_page_formatters_are_a_leaf():
    """``display`` formats numbers and words for every page: it imports nothing of the book."""
    assert book_import_graph()["display"] == set()


def test_the_notebook_parameters_reach_no_runner():
    """Every chapter's profile table lives in ``profiles``: the parameters read it there, not in a runner;
    where the records of a profile live they ask the records layer."""
    assert book_import_graph()["parameters"] <= {"parameter_types", "profiles", "records"}


def test_find_cycle_finds_a_circle():
    assert find_cycle({"display": {"overview"}, "overview": {"report"}, "report": {"display"}}) == [
        "display", "overview", "report", "display"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


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


def test_the_bottom_layer_imports_no_estimator_and_no_book():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] in ("clustering", "segmentation", "book") or parts == ("__init__.py",):
            continue
        upward = sorted(m for m in imported_modules(path)
                        if m.startswith(("osa_lib.clustering", "osa_lib.segmentation", "osa_lib.book")))
        if upward:
            offenders[str(path.relative_to(PACKAGE))] = upward
    assert offenders == {}


def module_names() -> dict[str, list[str]]:
    """Every module and package name of the library -> where it is."""
    names: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = path.parent.name if path.name == "__init__.py" else path.stem
        names.setdefault(name, []).append(str(path.relative_to(PACKAGE.parent)))
    return names


def test_no_two_modules_share_a_name():
    assert {name: where for name, where in module_names().items() if len(where) > 1} == {}


def test_no_import_takes_another_modules_name():
    names = module_names()
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.asname and alias.asname != alias.name.rsplit(".", 1)[-1] and alias.asname in names:
                        offenders.append(f"{path.relative_to(PACKAGE)}: {alias.name} as {alias.asname}")
    assert offenders == []


def test_imported_modules_sees_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from osa_lib.book.provenance import records\nimport osa_lib.metrics\n")
    assert {"osa_lib.book.provenance", "osa_lib.book.provenance.records", "osa_lib.metrics"} <= imported_modules(f)


def test_only_the_records_layer_spells_where_a_record_lives():
    """``results/<profile>/<dataset>/...`` is built in ``provenance/records.py`` only: other modules ask it."""
    spelled = re.compile(r"""f["']results/\{|/\s*profile\s*/\s*dataset|results_dir\)\s*/\s*profile\b|["'][^"'\n]*ae_jobs[/"']|["']exhibits["']\s*/|"""
                         r"""f["']seed\{[^}]*\}\.(json|pt|lock)""")
    offenders = [str(p.relative_to(PACKAGE)) for p in (PACKAGE / "book").rglob("*.py")
                 if p.name != "records.py" and spelled.search(p.read_text())]
    assert offenders == []


def test_the_book_leaves_the_estimators_parameters_to_the_estimators():
    """A parameter is checked at the notebook's edge (``harness/parameters``) and by the estimator that takes
    it (``fit``, or ``check_params`` before a job queues), not again by a runner or job in between."""
    from osa_lib.clustering.ae_acrbm import AEACRBM
    from osa_lib.clustering.ae_kmeans import AEKMeans
    from osa_lib.clustering.shallow import ShallowACRBM
    from osa_lib.segmentation.loc import LOC

    estimator_params = set()
    for cls in (AEACRBM, AEKMeans, ShallowACRBM, LOC):
        estimator_params |= set(cls().get_params())
    assert rechecked_parameters(PACKAGE / "book", estimator_params) == set()


def rechecked_parameters(folder: Path, names: set) -> set:
    """(module, parameter) for each of ``names`` a module outside the harness checks with ``check_int`` or
    ``check_float``, by name or in a loop over a tuple of names."""
    one = re.compile(r"""check_(?:int|float)\(\s*[^,]+,\s*["'](\w+)["']""")
    loop = re.compile(r"""for \w+ in \(([^)]*)\):\s*\n\s*check_(?:int|float)\(""")
    found = set()
    for path in folder.rglob("*.py"):
        if "harness" in path.parts:
            continue
        text = path.read_text()
        listed = one.findall(text) + [n for group in loop.findall(text) for n in re.findall(r"\w+", group)]
        found |= {(str(path.relative_to(folder)), n) for n in listed if n in names}
    return found


def test_rechecked_parameters_finds_a_check_by_name_and_in_a_loop(tmp_path):
    (tmp_path / "job.py").write_text('check_int(self.epochs, "epochs")\n'
                                     'for name in ("eval_every", "seed"):\n    check_int(getattr(self, name), name)\n')
    assert rechecked_parameters(tmp_path, {"epochs", "eval_every"}) == {("job.py", "epochs"), ("job.py", "eval_every")}


def test_no_book_module_imports_the_book_inside_a_function():
    """Imports of the book sit at the top of each module, where the layering test and a reader see them."""
    lazy = []
    for path in (PACKAGE / "book").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lazy += [(str(path.relative_to(PACKAGE)), node.name) for sub in ast.walk(node)
                         if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("osa_lib.book")]
    assert lazy == []
