"""Files that several runners may touch at once: unique temporary names, atomic writes, one owner per job.

Two runners started on the same job (two terminals, a Slurm requeue beside a local run, a GPU
run beside a CPU run) must neither rename each other's half-written files into place nor
train the same seed twice. Two tools:

* :func:`unique_temporary` / :func:`write_text_atomically`: every writer writes its own
  temporary file (host, process and a random suffix in the name) and renames it over the
  target, so a reader sees the old file or the new one, never half of one, and two
  writers never share a temporary name.
* :class:`JobLock`: an exclusive, non-blocking lock on ``<name>.lock`` (``fcntl.flock``).
  The kernel releases it when its owner exits, however it exits, so a lock left by a dead
  runner is free and the next runner takes it over; the file keeps the owner's host,
  process id and start time so that a runner that finds the lock held says who holds it.
  On a cluster file system the lock is as good as the file system's ``flock`` (NFSv4 and
  Lustre with ``flock`` mounts honour it).
"""
from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
import socket
import uuid
from pathlib import Path


def unique_temporary(path) -> Path:
    """A temporary name beside ``path`` that no other writer (process or host) uses."""
    path = Path(path)
    return path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_text_atomically(path, text: str) -> Path:
    """Write ``text`` to ``path`` through a writer-unique temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = unique_temporary(path)
    try:
        tmp.write_text(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def owner_description() -> dict:
    """Who is asking: host, process id and start time (UTC, ISO 8601)."""
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}


class JobLock:
    """An exclusive lock on one job, held by one runner at a time; ``acquire`` never waits.

    >>> lock = JobLock("results/.../seed0.lock")
    >>> if lock.acquire():          # else lock.holder() says who runs the job
    ...     try: ...                 # train
    ...     finally: lock.release()

    Also a context manager that raises :class:`JobLocked` when the lock is held elsewhere.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False (at once) when another runner holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        # The file is kept (never unlinked: unlinking a lock file lets two runners lock two different files).
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner_description()).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up (the owner line stays in the file, now free to be taken over)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def holder(self) -> dict | None:
        """The owner written by the runner that took the lock last (None when never taken or unreadable)."""
        try:
            return json.loads(self.path.read_text() or "null")
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def __enter__(self) -> "JobLock":
        if not self.acquire():
            raise JobLocked(self.path, self.holder())
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class JobLocked(RuntimeError):
    """Raised by ``with JobLock(...)`` when another runner holds the lock."""

    def __init__(self, path, holder: dict | None):
        self.path, self.holder = Path(path), holder
        super().__init__(f"{path} is held by {describe_holder(holder)}")


def describe_holder(holder: dict | None) -> str:
    """'process 123 on host-a since 2026-12-03T15:00:00+00:00' (or 'another runner')."""
    if not holder:
        return "another runner"
    return f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
