"""An exclusive lock on an output folder, safe for unattended nightly runs.

The lock is `DIR/.reopt.lock`, held with `fcntl.flock`: the kernel releases it when the
holding process ends, however it ends, so a lock left by a crashed or killed run is
stale by construction and the next run simply takes it (and says so). The file also
records the holder's pid, host and start time for the message a second run prints when
it stops at once (exit 4). POSIX systems only (cron and systemd hosts).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from optimizer.problems import LockedError

LOCK_NAME = ".reopt.lock"


@dataclass(frozen=True)
class LockInfo:
    """Who held a lock: the previous record found in the lock file."""

    pid: int
    host: str
    started: str


def _record(handle: int) -> dict[str, object]:
    os.lseek(handle, 0, os.SEEK_SET)
    try:
        return json.loads(os.read(handle, 4096) or b"{}")
    except ValueError:
        return {}


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[LockInfo | None]:
    """Hold the folder's lock while the block runs.

    Yields the record of a previous holder that died without releasing it (a stale
    lock that was recovered), or None. Raises `LockedError` when a live run holds it.
    """
    path = folder / LOCK_NAME
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _record(handle)
            raise LockedError(
                f"{folder}: another reopt run holds the lock (pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, since {holder.get('started', '?')}); try again later"
            ) from None
        previous = _record(handle)
        stale = (
            LockInfo(
                int(previous["pid"]),
                str(previous.get("host", "?")),
                str(previous.get("started", "?")),
            )
            if previous.get("pid")
            else None
        )
        mine = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(handle, 0)
        os.lseek(handle, 0, os.SEEK_SET)
        os.write(handle, json.dumps(mine).encode())
        os.fsync(handle)
        try:
            yield stale
        finally:
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
