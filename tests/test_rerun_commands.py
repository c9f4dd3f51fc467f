"""Every command the README, the "Rerun it yourself" page and the chapters' "Rerun this chapter"
boxes print runs as printed, with only tiny sizes appended (issue 14, item 3).

The commands are harvested from the files (```bash blocks; inline ``papermill`` commands of the
boxes), so a new command is tested without anyone remembering to. Each runs in bash from the
repository root after the setup lines printed before it in its block (``. .venv/bin/activate && cd
notebooks``). Only these are appended: tiny sizes (``-p n_train 300`` ...; make variables
``RESULTS=... AE_ARGS=...``), and ``-p device cpu`` / ``DEVICE=cpu`` on a machine without CUDA.
Not run here, with the reason: ``make book`` and ``make test`` (CI runs them, .ci/run), ``make lab``
(tests/test_lab.py runs it), and the Slurm submission (no cluster; tests/test_executors.py checks its
sbatch file).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = os.environ.get("OSA_DATA_DIR")

#: Tiny sizes appended to each chapter's papermill command.
TINY = {
    "shallow_acrbm.ipynb": "-p n_train 300 -p n_test 100 -p epochs 1 -p sweep_sizes '[5, 10]' -p sweep_seeds '[0]' "
                           "-p tsne_points 60",
    "derivations.ipynb": "-p n_train 300 -p n_test 200 -p epochs 1 -p ae_rows 200 -p ae_epochs 1",
    "ae_acrbm.ipynb": "-p n_train 300 -p n_test 100 -p epochs 1 -p kmeans_n_init 2",
    "loc.ipynb": "-p n_train 16 -p n_val 8 -p n_test 8 -p image_size 16 -p epochs 1 -p study_epochs 1",
}
TINY_AE_JOBS = ("AE_ARGS='--experiments ae_acrbm_10 --seeds 0 --epochs 1 --eval-every 1 --n-train 60 "
                "--n-test 40 --kmeans-n-init 2'")
#: Printed commands not run by this test, and why.
NOT_HERE = {
    "make book": "CI runs it as printed (.ci/run)",
    "make test": "CI runs it as printed (.ci/run); it runs this test",
    "make lab": "tests/test_lab.py runs it as printed (a server that does not end by itself)",
}
SLURM = "needs a Slurm cluster; tests/test_executors.py checks the sbatch file submitit writes"


def _strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` outside quotes, after a space)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _block_commands(block: str, source: str, context=()) -> list[dict]:
    joined, current = [], ""
    for raw in block.splitlines():
        line = _strip_comment(raw)
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        current += line.strip()
        if current.strip():
            joined.append(re.sub(r"\s+", " ", current.strip()))
        current = ""
    out, context = [], list(context)
    for cmd in joined:
        if re.fullmatch(r"(\. \.venv/bin/activate)?( && )?(cd [\w./-]+)?", cmd):
            context.append(cmd)
        else:
            out.append({"source": source, "context": list(context), "command": cmd})
    return out


def harvest() -> list[dict]:
    import nbformat

    commands = []
    fence = re.compile(r"```bash\n(.*?)```", re.S)
    for block in fence.findall((ROOT / "README.md").read_text()):
        commands += _block_commands(block, "README.md")
    for path in sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md")):
        text = path.read_text() if path.suffix == ".md" else "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        for block in fence.findall(text):
            commands += _block_commands(block, str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for box in re.findall(r"```\{admonition\} Rerun this chapter(.*?)```", cell.source, re.S):
                for cmd in re.findall(r"`(papermill [^`]+)`", box):
                    commands += _block_commands(cmd, str(path.relative_to(ROOT)),      # the README's set-up
                                                context=[". .venv/bin/activate && cd notebooks"])
    unique, seen = [], set()
    for c in commands:     # the same command in the same context runs once (whatever the output file)
        key = (tuple(c["context"]), re.sub(r"(papermill \S+\.ipynb) \S+\.ipynb", r"\1 OUT", c["command"]))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return unique


COMMANDS = harvest()


def _cuda() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False


def tiny(command: str, results: Path) -> str | None:
    """The command with tiny sizes appended; None for a command this test does not run."""
    if command in NOT_HERE or "EXECUTOR=slurm" in command:
        return None
    if command.startswith("make paper-ae") or command.startswith("nohup make paper-ae"):
        extra = f"RESULTS={results} {TINY_AE_JOBS}" + ("" if _cuda() or "DEVICE=cuda" not in command
                                                       else " DEVICE=cpu")
        head, sep, tail = command.partition(" >")
        command = f"{head} {extra}{sep}{tail}"
        return command + " wait" if command.endswith("&") else command
    if "scripts/run_ae_jobs.py" in command:
        return f"{command} --results-dir {results}"
    if "papermill" in command:
        if "--help-notebook" in command:
            return command
        notebook = re.findall(r"papermill (\S+\.ipynb)", command)[-1]
        extra = TINY.get(Path(notebook).name, "")
        if "device cuda" in command and not _cuda():
            extra += " -p device cpu"
        return f"{command} {extra}".rstrip()
    raise AssertionError(f"a printed command this test cannot make tiny: {command!r}; teach tests/"
                         "test_rerun_commands.py how (tiny sizes to append) or list it in NOT_HERE")


def test_commands_are_harvested_from_every_source():
    sources = {c["source"] for c in COMMANDS}
    assert {"README.md", "book/rerun.ipynb", "notebooks/loc.ipynb"} <= sources
    printed = {c["command"] for c in COMMANDS}
    assert "make book" in printed and "make test" in printed
    assert any("-p cluster_sizes '[10, 20, 50]'" in c for c in printed)        # a -p list
    assert any("-y 'seeds: [0, 1]'" in c for c in printed)                    # a -y list
    for command in printed:
        tiny(command, Path("/tmp/x"))          # every command is run here or listed with a reason
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make book" in ci


def test_experiment_commands_name_a_results_dir():
    for c in COMMANDS:
        cmd = c["command"]
        for notebook in ("shallow_acrbm", "derivations", "ae_acrbm", "loc"):
            if f"papermill {notebook}.ipynb" in cmd and "--help-notebook" not in cmd:
                assert "-p results_dir" in cmd, cmd


def test_rerun_page_code_lines_fit_the_column():
    """At most 80 characters a line in the rerun page's code blocks (the browser check measures them too)."""
    import nbformat
    text = "\n".join(c.source for c in nbformat.read(ROOT / "book" / "rerun.ipynb", as_version=4).cells
                     if c.cell_type == "markdown")
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            assert len(line) <= 80, line


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory):
    from conftest import write_fake_mnist
    root = tmp_path_factory.mktemp("fake_data")
    write_fake_mnist(root, n_train=60, n_test=40)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("entry", COMMANDS, ids=[f"{c['source']}: {c['command'][:70]}" for c in COMMANDS])
def test_printed_command_runs(entry, tmp_path, fake_data):
    command = tiny(entry["command"], tmp_path / "results")
    if command is None:
        pytest.skip(NOT_HERE.get(entry["command"], SLURM))
    env = dict(os.environ, OSA_PROGRESS="0", TQDM_DISABLE="1")
    if "paper-ae" in command or "run_ae_jobs" in command:
        env["OSA_DATA_DIR"] = str(fake_data)
    elif "papermill" in command and "--help-notebook" not in command:
        if not DATA or not (Path(DATA) / "MNIST" / "raw").is_dir():
            pytest.skip("OSA_DATA_DIR with the data is needed")
    script = "set -e\n" + "\n".join(entry["context"] + [command])
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, f"{command}\n--- stdout\n{out.stdout[-3000:]}\n--- stderr\n{out.stderr[-3000:]}"
    for written in re.findall(r"papermill \S+\.ipynb (\S+\.ipynb)", command):
        folder = ROOT / ("notebooks" if "cd notebooks" in " ".join(entry["context"]) else "")
        nb_path = Path(written) if written.startswith("/") else None
        if nb_path and nb_path.exists():
            nb = json.loads(nb_path.read_text())
            assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
