"""The run history of an output folder: one SQLite table of runs (stdlib sqlite3).

A run is recorded when it starts (status `running`) and updated when it ends; earlier
rows are never changed, except that a `running` row left by a run that died is marked
`interrupted` by the next run that takes the lock.

A database that cannot be read (corrupt, not SQLite, on a full disk) is an error naming
the file, never silently replaced: `reset_unreadable` (`reopt replan --reset-history`)
moves an unreadable one aside as `history.sqlite.corrupt-<UTC time>` and a new history
starts. A database locked by another program (a backup, a sync client, a reporting tool
holding a write transaction) is waited for at most `BUSY_SECONDS` per access, then the
run stops with `HistoryLockedError` (exit 2), which says that it is not reopt's own
folder lock (that one makes a second run exit 4 at once: `lock.py`); a locked database
is never moved aside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from optimizer.json_text import json_text
from optimizer.problems import OutputError, UsageError
from optimizer.runs.lock import LOCK_NAME

HISTORY_NAME = "history.sqlite"
BUSY_SECONDS = 5.0
"""How long one access to the history waits for another program's lock on it (SQLite's
busy timeout). A run gives up at the first access that times out, and tries once more
to record that it failed: it ends at most 2 × BUSY_SECONDS after meeting the lock."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    input_path TEXT NOT NULL,
    input_sha256 TEXT,
    status TEXT NOT NULL,
    exit_code INTEGER,
    objectives TEXT,
    error TEXT,
    folder TEXT,
    note TEXT
)
"""
COLUMNS = (
    "id", "started", "finished", "input_path", "input_sha256", "status", "exit_code",
    "objectives", "error", "folder", "note",
)  # fmt: skip


def now() -> str:
    """UTC time as stored in the history."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Run:
    """One row of the history."""

    id: int
    started: str
    finished: str | None
    input_path: str
    input_sha256: str | None
    status: str
    exit_code: int | None
    objectives: dict[str, float | None]
    error: str | None
    folder: str | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for `reopt history --json`."""
        return {column: getattr(self, column) for column in COLUMNS}


class HistoryError(UsageError):
    """The run history database cannot be used as it is."""


class HistoryLockedError(UsageError):
    """Another program holds a lock on the run history database (exit 2, not reopt's 4)."""


def _failure(path: Path, error: sqlite3.Error) -> UsageError:
    """The error naming the database, by what went wrong with it."""
    text = str(error)
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith("SQLITE_IOERR") and _nearly_full(path.parent):
        name = "SQLITE_FULL"
    if name.startswith(("SQLITE_LOCKED", "SQLITE_BUSY")) or "locked" in text:
        return HistoryLockedError(
            f"{path}: the run history is locked by another program (SQLite: {text}; waited "
            f"{BUSY_SECONDS:g} s). It is not reopt's own lock ({path.parent / LOCK_NAME}, "
            "for which a second run exits 4 at once): a backup, a sync client or a reporting "
            "tool holds a transaction on the database. Let it finish or close it, and run "
            "again."
        )
    if name.startswith("SQLITE_FULL") or "full" in text:
        return OutputError(
            f"{path}: the disk is full (no space left on device); the run history cannot be "
            "written. Free some space and run again."
        )
    return HistoryError(
        f"{path}: the run history cannot be read ({text}); the file may be corrupt. Run "
        "`reopt replan` again with --reset-history to move it aside (renamed with the time) "
        "and start a new history; earlier plan folders are kept."
    )


def _nearly_full(folder: Path) -> bool:
    """True when the disk of `folder` has less than 1 MiB free (SQLite says only I/O error)."""
    try:
        return shutil.disk_usage(folder).free < 2**20
    except OSError:
        return False


@contextlib.contextmanager
def _connect(out_dir: Path) -> Iterator[sqlite3.Connection]:
    path = out_dir / HISTORY_NAME
    try:
        connection = sqlite3.connect(path, timeout=BUSY_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            with connection:
                yield connection
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise _failure(path, error) from None


def _readable(out_dir: Path) -> bool:
    """True when the history opens and passes SQLite's quick integrity check."""
    try:
        with _connect(out_dir) as connection:
            connection.execute("SELECT count(*) FROM runs").fetchone()
            return connection.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except HistoryError:
        return False


def reset_unreadable(out_dir: Path) -> Path | None:
    """Move an unreadable history aside (with its WAL files); where it went, or None."""
    path = out_dir / HISTORY_NAME
    if not path.exists() or _readable(out_dir):
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{HISTORY_NAME}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(HISTORY_NAME + suffix)
        if part.exists():
            os.replace(part, aside.with_name(aside.name + suffix))
    return aside


def start_run(out_dir: Path, input_path: str) -> int:
    """Record a run that is starting; its id."""
    with _connect(out_dir) as connection:
        cursor = connection.execute(
            "INSERT INTO runs (started, input_path, status) VALUES (?, ?, 'running')",
            (now(), input_path),
        )
        return int(cursor.lastrowid or 0)


def finish_run(out_dir: Path, run_id: int, **fields: object) -> None:
    """Record how a run ended (status, exit_code, objectives, error, folder, ...)."""
    if "objectives" in fields:
        fields["objectives"] = json_text(fields["objectives"])
    fields["finished"] = now()
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with _connect(out_dir) as connection:
        connection.execute(
            f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id)
        )


def mark_interrupted(out_dir: Path, before: int) -> None:
    """Runs still `running` below id `before` died without finishing."""
    with _connect(out_dir) as connection:
        connection.execute(
            "UPDATE runs SET status = 'interrupted', note = 'the run ended without finishing' "
            "WHERE status = 'running' AND id < ?",
            (before,),
        )


def _run(row: tuple) -> Run:
    values = dict(zip(COLUMNS, row, strict=True))
    values["objectives"] = json.loads(values["objectives"] or "{}")
    return Run(**values)


def runs(out_dir: Path, limit: int | None = None) -> list[Run]:
    """The runs, newest first."""
    if not (out_dir / HISTORY_NAME).exists():
        return []
    query = f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY id DESC"
    with _connect(out_dir) as connection:
        rows = connection.execute(query + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
        return [_run(row) for row in rows]


def successes(out_dir: Path, before: int) -> list[Run]:
    """The successful runs before run `before` whose plan folder still exists, newest first."""
    return [
        run
        for run in runs(out_dir)
        if run.id < before and run.status == "ok" and run.folder and (out_dir / run.folder).is_dir()
    ]
