"""Writer-unique temporary files, atomic writes and job locks (osa_lib.concurrency)."""
from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from osa_lib.concurrency import JobLock, JobLocked, describe_holder, unique_temporary, write_text_atomically


def test_temporary_names_are_unique_per_writer_and_beside_the_target(tmp_path):
    target = tmp_path / "seed0.json"
    names = {unique_temporary(target) for _ in range(100)}
    assert len(names) == 100 and all(n.parent == tmp_path and str(os.getpid()) in n.name for n in names)


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "a.json"
    write_text_atomically(target, "one")
    write_text_atomically(target, "two")
    assert target.read_text() == "two" and sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_a_lock_is_exclusive_names_its_holder_and_is_free_after_release(tmp_path):
    a, b = JobLock(tmp_path / "job.lock"), JobLock(tmp_path / "job.lock")
    assert a.acquire() and a.held and not b.acquire()
    assert b.holder()["pid"] == os.getpid() and "process" in describe_holder(b.holder())
    with pytest.raises(JobLocked, match=f"process {os.getpid()}"):
        with b:
            pass
    a.release()
    with b:
        assert b.held
    assert not b.held and describe_holder(None) == "another runner"


def _take_and_die(path):
    JobLock(path).acquire()
    os._exit(0)                               # dies holding the lock, as a killed runner would


def test_a_lock_left_by_a_dead_runner_is_taken_over(tmp_path):
    path = tmp_path / "job.lock"
    proc = mp.get_context("spawn").Process(target=_take_and_die, args=(path,))
    proc.start()
    proc.join(60)
    stale = JobLock(path).holder()
    assert stale["pid"] == proc.pid
    lock = JobLock(path)
    assert lock.acquire() and lock.holder()["pid"] == os.getpid()
    lock.release()
