"""What the repository holds: no model checkpoint is tracked (README: checkpoints are never committed)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_checkpoint_is_tracked():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree")
    out = subprocess.run(["git", "ls-files", "--", "*.pt", "*.pth", "*.ckpt"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == [], "tracked checkpoints: git rm --cached " + " ".join(out.stdout.split())


def test_execution_times_are_formatted_per_profile_with_the_hardware(tmp_path):
    import json

    from osa_lib.book.harness.run_times import format_duration, hardware, times_table

    assert (format_duration(42.4), format_duration(318), format_duration(None)) == ("42 s", "5.3 min",
                                                                                     "not measured")
    ci = tmp_path / "ci.json"
    ci.write_text(json.dumps({"profile": "ci", "seconds": {"loc": 318.0, "rerun": 3.0}, "hardware": "2 CPU cores (X)"}))
    table, notes = times_table([ci, tmp_path / "missing.json"])
    assert list(table.columns) == ["notebook", "ci profile", "paper profile"]
    assert table.set_index("notebook").loc["loc"].tolist() == ["5.3 min", "not measured"]
    assert "2 CPU cores (X)" in notes[0] and "no execution-times file" in notes[1]
    assert "CPU cores" in hardware()
