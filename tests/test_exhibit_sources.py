"""The source line under an exhibit names its record files, commits, data copies and machines."""
from __future__ import annotations

import json

import pytest

from osa_lib.book.page.exhibit_sources import SOURCE_CLASS, source_line


def _record(tmp_path, profile, dataset, experiment, **extra):
    folder = tmp_path / profile / dataset
    folder.mkdir(parents=True, exist_ok=True)
    record = {"experiment": experiment, "dataset": dataset, "profile": profile, "git_commit": "1a2b3c4d5e6f",
              "device": "cpu: x86_64 (AVX512), 1 torch threads", "params": {}, "seeds": [0], "metrics": {},
              "n_parameters": 0, "wall_time_s": 1.0, "versions": {}, "created": "2026-12-03", **extra}
    (folder / f"{experiment}.json").write_text(json.dumps(record))


def test_one_record_names_file_commit_copy_and_machine(tmp_path):
    _record(tmp_path, "paper", "mnist", "kmeans")
    line = source_line(tmp_path, [("paper", "mnist", "kmeans")], repository="")
    assert line.startswith(f'<p class="{SOURCE_CLASS}">Source: <code>results/paper/mnist/kmeans.json</code>')
    assert "commit 1a2b3c4d" in line and "MNIST: copy not recorded" in line and "CPU x86_64 (AVX512), 1 thread" in line
    assert "href" not in line                                               # no repository: no address


def test_links_to_the_repository_at_the_records_commit_and_says_shared_facts_once(tmp_path):
    _record(tmp_path, "paper", "mnist", "kmeans")
    _record(tmp_path, "paper", "mnist", "shallow_acrbm_10")
    line = source_line(tmp_path, [("paper", "mnist", "kmeans"), ("paper", "mnist", "shallow_acrbm_10")],
                       repository="https://github.com/o/r/", note="seeds 0-4")
    assert 'href="https://github.com/o/r/blob/1a2b3c4d5e6f/results/paper/mnist/kmeans.json"' in line
    assert line.count("commit 1a2b3c4d") == 1 and line.count("CPU") == 1 and line.endswith("seeds 0-4</p>")


def test_a_dirty_record_is_flagged_and_not_linked_and_a_missing_one_says_so(tmp_path):
    _record(tmp_path, "paper", "flowers17", "loc", git_commit="abcdef123456+dirty")
    line = source_line(tmp_path, [("paper", "flowers17", "loc"), ("paper", "flowers17", "grabcut")],
                       repository="https://github.com/o/r")
    assert "href" not in line and "abcdef12 (uncommitted changes)" in line
    assert "<code>results/paper/flowers17/grabcut.json</code> (no record yet)" in line
    with pytest.raises(ValueError, match="at least one"):
        source_line(tmp_path, [])


def test_the_repository_comes_from_the_build(tmp_path, monkeypatch):
    _record(tmp_path, "paper", "mnist", "kmeans")
    monkeypatch.setenv("OSA_BOOK_REPOSITORY", "https://github.com/o/r")
    assert "https://github.com/o/r/blob/" in source_line(tmp_path, [("paper", "mnist", "kmeans")])
    monkeypatch.delenv("OSA_BOOK_REPOSITORY")
    assert "href" not in source_line(tmp_path, [("paper", "mnist", "kmeans")])


def test_records_already_read_give_the_same_line_and_rows_not_run_are_left_out(tmp_path):
    from osa_lib.book.page.exhibit_sources import records_source_line
    from osa_lib.book.provenance.records import load_record

    _record(tmp_path, "paper", "mnist", "kmeans")
    rec = load_record(tmp_path, "paper", "mnist", "kmeans")
    assert records_source_line([rec, None], repository="") == source_line(tmp_path, [("paper", "mnist", "kmeans")],
                                                                           repository="")
    assert records_source_line([None], note="seeds 2-6") == f'<p class="{SOURCE_CLASS}">Source: no record yet · seeds 2-6</p>'


def test_an_exhibits_file_is_named_after_its_record_and_linked_at_its_commit(tmp_path):
    _record(tmp_path, "paper", "mnist", "derivations")
    line = source_line(tmp_path, [("paper", "mnist", "derivations")], exhibits=[("paper", "mnist", "derivations")],
                       repository="https://github.com/o/r")
    record_at = line.index("results/paper/mnist/derivations.json")
    exhibits_at = line.index("results/paper/mnist/exhibits/derivations.json")
    assert record_at < exhibits_at
    assert 'href="https://github.com/o/r/blob/1a2b3c4d5e6f/results/paper/mnist/exhibits/derivations.json"' in line


def test_files_lines_name_repository_paths_never_the_machines_and_not_results_wraps(tmp_path):
    from pathlib import Path

    from osa_lib.book.page.exhibit_sources import NOT_RESULTS_CLASS, files_source_line, not_results

    inside = Path(__file__).resolve().parents[1] / "results" / "paper"
    line = files_source_line([inside, tmp_path / "execution_times.json"], note="each build")
    assert line == (f'<p class="{SOURCE_CLASS}">Source: <code>results/paper</code>, '
                    "<code>execution_times.json</code> · each build</p>")
    assert not_results("<table></table>") == f'<div class="{NOT_RESULTS_CLASS}"><table></table></div>'


def test_a_verdict_tables_line_names_the_records_its_claims_read(tmp_path):
    import pandas as pd

    from osa_lib.book.summary.overview import verdict_source_line

    _record(tmp_path, "paper", "mnist", "kmeans")
    _record(tmp_path, "paper", "mnist", "shallow_acrbm_10")
    report = pd.DataFrame({"key": ["a", "b"], "evidence": [
        "results/paper/mnist/shallow_acrbm_10.json, results/paper/mnist/kmeans.json", "results/paper/mnist/kmeans.json"]})
    line = verdict_source_line(tmp_path, report, ["a", "b"])
    assert line.count("results/paper/mnist/kmeans.json") == 1 and "shallow_acrbm_10.json" in line
    assert verdict_source_line(tmp_path, report, ["b"]).count(".json") == 2     # the record and the paper's file


def test_an_older_records_digests_are_identified_through_the_repositorys_newer_records(tmp_path, monkeypatch):
    """A record that stores only digest prefixes reads "copy not identified" alone; a committed record of the
    same data set whose files carry canonical flags identifies it (and a different digest stays unidentified)."""
    from osa_lib.book.page import exhibit_sources

    repository = tmp_path / "repository_results"
    monkeypatch.setattr(exhibit_sources, "REPOSITORY_RESULTS", repository)
    old = {"sha256": {"train-images-idx3-ubyte": "c59f468a2f672dc8"}}
    _record(tmp_path, "paper", "fashion_mnist", "ae_kmeans", data=old)
    assert "Fashion-MNIST: copy not identified" in source_line(tmp_path, [("paper", "fashion_mnist", "ae_kmeans")])
    newer = {"files": {"train-images-idx3-ubyte": {"sha256": "c59f468a2f672dc8" + "0" * 48, "canonical": True}}}
    _record(repository, "paper", "fashion_mnist", "kmeans", data=newer)
    assert "Fashion-MNIST: official files" in source_line(tmp_path, [("paper", "fashion_mnist", "ae_kmeans")])
    _record(tmp_path, "paper", "fashion_mnist", "other", data={"sha256": {"train-images-idx3-ubyte": "ffff"}})
    assert "copy not identified" in source_line(tmp_path, [("paper", "fashion_mnist", "other")])
