"""The run history of an output folder: one SQLite table of runs (stdlib sqlite3).

A run is recorded when it starts (status `running`) and updated when it ends; earlier
rows are never changed, except that a `running` row left by a run that died is marked
`interrupted` by the next run that takes the lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HISTORY_NAME = "history.sqlite"
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


@contextlib.contextmanager
def _connect(out_dir: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(out_dir / HISTORY_NAME, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        with connection:
            yield connection
    finally:
        connection.close()


def start_run(out_dir: Path, input_path: str) -> int:
    """Record a run that is starting; its id."""
    with _connect(out_dir) as connection:
        cursor = connection.execute(
            "INSERT INTO runs (started, input_path, status) VALUES (?, ?, 'running')",
            (now(), input_path),
        )
        return int(cursor.lastrowid)  # type: ignore[arg-type]


def finish_run(out_dir: Path, run_id: int, **fields: object) -> None:
    """Record how a run ended (status, exit_code, objectives, error, folder, ...)."""
    if "objectives" in fields:
        fields["objectives"] = json.dumps(fields["objectives"])
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


def last_success(out_dir: Path, before: int) -> Run | None:
    """The newest successful run before run `before` whose plan folder still exists."""
    for run in runs(out_dir):
        if (
            run.id < before
            and run.status == "ok"
            and run.folder
            and (out_dir / run.folder).is_dir()
        ):
            return run
    return None
