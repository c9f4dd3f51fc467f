"""The chapters run end to end under papermill with tiny parameters."""
import json
import os
from pathlib import Path

import pytest

pm = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
DATA = os.environ.get("OSA_DATA_DIR")
needs_mnist = pytest.mark.skipif(not DATA or not (Path(DATA) / "MNIST" / "raw").is_dir(),
                                 reason="OSA_DATA_DIR with MNIST is needed")


@pytest.mark.slow
@needs_mnist
def test_shallow_acrbm_notebook_runs_with_tiny_parameters(tmp_path):
    out = tmp_path / "out.ipynb"
    results = tmp_path / "results"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "shallow_acrbm.ipynb"), str(out), cwd=str(ROOT / "notebooks"),
        parameters={"profile": "ci", "n_train": 600, "n_test": 400, "epochs": 2, "seeds": [0],
                    "cluster_sizes": [10], "sweep_sizes": [10, 100], "sweep_seeds": [0], "tsne_points": 100,
                    "results_dir": str(results)},
        progress_bar=False, kernel_name="python3")
    for experiment in ("kmeans", "shallow_acrbm_10", "shallow_acrbm_sweep"):
        record = json.loads((results / "ci" / "mnist" / f"{experiment}.json").read_text())
        assert record["params"]["n_train"] == 600
        assert record["params"]["n_test"] == 400
        assert record["seeds"] == [0]
    nb = json.loads(out.read_text())
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


@pytest.mark.slow
def test_summary_notebook_shows_not_run_yet_without_records(tmp_path):
    out = tmp_path / "summary.ipynb"
    pm.execute_notebook(str(ROOT / "book" / "summary.ipynb"), str(out), cwd=str(ROOT / "book"),
                        parameters={"build_profile": "ci", "results_dir": str(tmp_path / "empty")},
                        progress_bar=False, kernel_name="python3")
    assert "not run yet" in out.read_text()


def test_every_notebook_has_a_parameters_cell_and_no_outputs():
    for path in list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: expected one cell tagged 'parameters'"
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), \
            f"{path.name} is committed with outputs"


def test_every_cell_has_a_unique_id():
    """nbformat 4.5 cells carry an id (a cell without one warns on every read, and a later nbformat refuses it)."""
    for path in list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        ids = [c.get("id") for c in nb["cells"]]
        assert None not in ids, f"{path.name}: cells {[i for i, x in enumerate(ids) if x is None]} have no id"
        assert len(set(ids)) == len(ids), f"{path.name}: repeated cell ids"
