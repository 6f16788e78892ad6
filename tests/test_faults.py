"""Fault injection: nothing a workbook or the machine does crashes reopt or strands replan.

Every test here is bounded in time (subprocesses have timeouts, kills happen at seeded
random moments). Tests that need a real small disk or a read-only folder mount a tmpfs
and are skipped where the test cannot mount one (not root, no mount namespace).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer.report.plan_book
import optimizer.runs.replan
from optimizer.cli import cli
from optimizer.runs import history
from optimizer.workbook.container import MAX_SHEET_CELLS, sheet_extent
from tests.test_known_answers import BASE
from tests.test_replan import PLAN_1, PLAN_2, plan_folders, replan, snapshot
from tests.workbooks import Members, repack, to_strict

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
STARTER = (
    "import sys; import optimizer.cli as c; "
    "sys.stderr.write('ready\\n'); sys.stderr.flush(); c.main()"
)
"""Runs reopt like the console script, saying `ready` once reopt's code is loaded."""
MEMORY_LIMIT = 1536 * 2**20
"""Address-space limit of the reader subprocess: reopt needs about 0.2 GiB resident."""


def far_cell(source: Path, target: Path, cell: str = "XFD1048576") -> Path:
    """`source` with one value typed at `cell` of its first sheet (a 10 KB file)."""
    row = "".join(filter(str.isdigit, cell))
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                far = f'<row r="{row}"><c r="{cell}"><v>1</v></c></row></sheetData>'
                data = data.replace(b"</sheetData>", far.encode())
            zout.writestr(info, data)
    return target


def reopt(
    *args: str, limit: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the reopt command line in a fresh process (optionally under a memory limit)."""

    def restrict() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        [sys.executable, "-c", STARTER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=restrict,
        cwd=ROOT,
    )


def started(*args: str) -> subprocess.Popen:
    """Start reopt and return once its code is loaded (it has printed `ready`)."""
    process = subprocess.Popen(
        [sys.executable, "-c", STARTER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "ready\n"
    return process


def children(pid: int) -> set[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """True for a process that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@contextlib.contextmanager
def tmpfs(folder: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs mounted at `folder`, or skip the test where none can be mounted."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root or a mount namespace)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write into `folder` until its disk is full."""
    with open(folder / "filler", "wb") as stream, contextlib.suppress(OSError):
        while True:
            stream.write(b"\0" * 65536)
            stream.flush()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the reader: a cell address cannot make it allocate ---------------------------------


def test_a_value_at_xfd1048576_is_a_located_error_under_a_memory_limit(tmp_path):
    source = far_cell(EXAMPLE, tmp_path / "far.xlsx")
    assert source.stat().st_size < 64 * 1024
    result = reopt("validate", str(source), "--json", limit=MEMORY_LIMIT)
    assert result.returncode == 2, result.stderr
    assert "Settings!XFD1048576" in result.stderr and "far outside the table" in result.stderr
    record = json.loads(result.stdout)
    assert record["errors"][0]["cell"] == "Settings!XFD1048576"


def _lowercase_refs(members: Members) -> Members:
    first = "xl/worksheets/sheet1.xml"
    return {**members, first: members[first].replace(b'r="XFD1048576"', b'r="xfd1048576"')}


def _target_in_other_case(members: Members) -> Members:
    rels = "xl/_rels/workbook.xml.rels"
    old = b'Target="worksheets/sheet1.xml"'
    return {**members, rels: members[rels].replace(old, b'Target="WORKSHEETS/Sheet1.XML"')}


@pytest.mark.parametrize(
    "dialect",
    [to_strict, _lowercase_refs, _target_in_other_case],
    ids=["strict-open-xml", "lowercase-address", "target-in-other-case"],
)
def test_a_far_value_in_any_dialect_is_a_located_error_under_a_memory_limit(tmp_path, dialect):
    """The guard does not depend on the namespace, the address's case or the spelling of
    the relationship target: each of these files reads XFD1048576 in calamine."""
    source = tmp_path / "far.xlsx"
    source.write_bytes(repack(far_cell(EXAMPLE, tmp_path / "plain.xlsx").read_bytes(), dialect))
    result = reopt("validate", str(source), "--json", limit=MEMORY_LIMIT)
    assert result.returncode == 2, result.stderr
    assert "Settings!XFD1048576" in result.stderr and "far outside the table" in result.stderr


def test_the_same_workbook_without_the_stray_cell_reads_under_the_limit(tmp_path):
    result = reopt("validate", str(EXAMPLE), limit=MEMORY_LIMIT)
    assert result.returncode == 0, result.stderr


def test_replan_of_such_a_file_records_the_failure_not_running(tmp_path):
    source = far_cell(EXAMPLE, tmp_path / "far.xlsx")
    out_dir = tmp_path / "nightly"
    result = reopt("replan", str(source), "--out-dir", str(out_dir), limit=MEMORY_LIMIT)
    assert result.returncode == 2, result.stderr
    [run] = history.runs(out_dir)
    assert (run.status, run.exit_code) == ("failed", 2)


@pytest.mark.parametrize(
    ("xml", "rows", "columns"),
    [
        (b'<row r="3"><c r="B3"><v>1</v></c></row>', 3, 2),
        (b'<row r="3"><c r="XFD3" s="1"/></row>', 0, 0),  # a styled empty cell: no content
        (b'<x:row r="2"><x:c r="C2"><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row>', 2, 4),
        (b"<row><c><v>1</v></c></row><row><c/><c><v>2</v></c></row>", 2, 2),
        (b'<dimension ref="A1:XFD1048576"/><cols><col min="1"/></cols>', 0, 0),
    ],
)
def test_sheet_extent_counts_only_cells_with_content(xml, rows, columns):
    extent = sheet_extent(xml)
    assert (extent.rows, extent.columns) == (rows, columns)
    assert extent.cells <= MAX_SHEET_CELLS


# --- the nightly job: kills, signals, deleted and corrupt files -------------------------


def test_kill_at_random_moments_never_strands_the_nightly_job(book, tmp_path):
    source = book(BASE, PLAN_1)
    out_dir = tmp_path / "nightly"
    assert replan(source, out_dir).exit_code == 0
    intact = snapshot(out_dir)
    moments = random.Random(17).sample([0.2, 0.6, 1.0, 1.5, 2.5], 3)
    for delay in moments:
        process = started("replan", str(source), "--out-dir", str(out_dir), "--workers", "1")
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=30)
    result = replan(source, out_dir)
    assert result.exit_code == 0, result.output
    runs = history.runs(out_dir)
    assert runs[0].status == "ok"
    assert all(run.status in ("ok", "interrupted") for run in runs)
    assert not list(out_dir.glob(".partial-*"))
    now = snapshot(out_dir)
    assert all(now.get(name) == digest for name, digest in intact.items() if "lock" not in name)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment_ends_cleanly_and_is_recorded(book, tmp_path, signum):
    source = book(BASE, PLAN_1)
    out_dir = tmp_path / "nightly"
    for delay in random.Random(int(signum)).sample([0.02, 0.3, 0.8, 1.5], 3):
        process = started("replan", str(source), "--out-dir", str(out_dir), "--workers", "1")
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        assert "Traceback" not in stderr, stderr
        if process.returncode == 0:  # the run finished before the signal arrived
            continue
        assert process.returncode == 130, stderr
        assert stderr.strip().endswith("no plan was written"), stderr
    assert all(run.status in ("ok", "interrupted") for run in history.runs(out_dir))
    assert not list(out_dir.glob(".partial-*"))


def test_an_interrupted_run_is_recorded_as_interrupted(book, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(optimizer.runs.replan, "compare", interrupted)
    result = replan(book(BASE, PLAN_1), tmp_path / "nightly")
    assert result.exit_code == 130
    record = json.loads(result.stdout)
    assert (record["status"], record["exit_code"]) == ("interrupted", 130)
    [run] = history.runs(tmp_path / "nightly")
    assert (run.status, run.exit_code) == ("interrupted", 130)


def test_a_running_row_whose_process_is_gone_is_marked_interrupted(book, tmp_path):
    out_dir = tmp_path / "nightly"
    out_dir.mkdir()
    dead = history.start_run(out_dir, "killed.xlsx")
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    run = next(run for run in history.runs(out_dir) if run.id == dead)
    assert run.status == "interrupted"


def test_pool_workers_die_with_their_killed_parent(tmp_path):
    process = started("whatif", str(EXAMPLE), "-o", str(tmp_path / "w.xlsx"), "--workers", "2")
    assert wait_until(lambda: len(children(process.pid)) >= 2, 60), "no workers started"
    workers = children(process.pid)
    process.kill()
    process.communicate(timeout=30)
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 15), [
        pid for pid in workers if alive(pid)
    ]


def test_pool_workers_end_with_a_terminated_parent(tmp_path):
    process = started("whatif", str(EXAMPLE), "-o", str(tmp_path / "w.xlsx"), "--workers", "2")
    assert wait_until(lambda: len(children(process.pid)) >= 2, 60), "no workers started"
    workers = children(process.pid)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in (0, 130), stderr
    assert "Traceback" not in stderr, stderr
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 15)


def test_a_deleted_newest_plan_does_not_stop_later_runs(book, tmp_path):
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    second = replan(book(BASE, PLAN_1), out_dir)
    newest = Path(json.loads(second.stdout)["folder"])
    (newest / "plan.xlsx").unlink()
    result = replan(book(BASE, PLAN_1, PLAN_2), out_dir)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["compared_with"] == 1
    first = record["warnings"][0]["message"]
    assert "run #2" in first and "missing or unreadable" in first
    plan = Path(record["folder"]) / "plan.xlsx"
    changes = pd.read_excel(plan, sheet_name="Changes", header=None, engine="calamine")
    assert changes.iloc[0, 1].startswith("#1 of")
    warnings = pd.read_excel(plan, sheet_name="Warnings", engine="calamine").to_string()
    assert "run #2" in warnings


def test_an_earlier_plan_with_a_far_cell_is_skipped_not_read(book, tmp_path):
    out_dir = tmp_path / "nightly"
    first = Path(json.loads(replan(book(BASE, PLAN_1), out_dir).stdout)["folder"])
    plan = first / "plan.xlsx"
    far_cell(plan, tmp_path / "far.xlsx").replace(plan)
    result = replan(book(BASE, PLAN_1), out_dir)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["compared_with"] is None and "far outside" in record["warnings"][0]["message"]


@pytest.mark.parametrize(
    "damage",
    [b"this is not a database", b"SQLite format 3\0" + b"\xff" * 4000],
    ids=["garbage", "bad-pages"],
)
def test_a_corrupt_history_is_named_and_reset_only_on_request(book, tmp_path, damage):
    source = book(BASE, PLAN_1)
    out_dir = tmp_path / "nightly"
    assert replan(source, out_dir).exit_code == 0
    database = out_dir / history.HISTORY_NAME
    for extra in ("-wal", "-shm"):
        database.with_name(database.name + extra).unlink(missing_ok=True)
    database.write_bytes(damage)
    folders = plan_folders(out_dir)
    result = replan(source, out_dir)
    assert result.exit_code == 2, result.output
    assert str(database) in result.stderr and "--reset-history" in result.stderr
    assert database.read_bytes() == damage and plan_folders(out_dir) == folders
    listed = CliRunner().invoke(cli, ["history", "--out-dir", str(out_dir)])
    assert listed.exit_code == 2 and str(database) in listed.stderr
    reset = replan(source, out_dir, "--reset-history")
    assert reset.exit_code == 0, reset.output
    assert "moved aside" in json.loads(reset.stdout)["warnings"][0]["message"]
    [aside] = out_dir.glob(history.HISTORY_NAME + ".corrupt-*")
    assert aside.read_bytes() == damage
    assert [run.status for run in history.runs(out_dir)] == ["ok"]


def test_reset_history_leaves_a_readable_history_alone(book, tmp_path):
    source = book(BASE, PLAN_1)
    out_dir = tmp_path / "nightly"
    assert replan(source, out_dir).exit_code == 0
    assert replan(source, out_dir, "--reset-history").exit_code == 0
    assert len(history.runs(out_dir)) == 2
    assert not list(out_dir.glob("*.corrupt-*"))


def test_a_history_locked_by_another_program_is_named(book, tmp_path, monkeypatch):
    """Not reopt's own lock (exit 4, which systemd treats as success): exit 2, naming the
    file and saying which lock it is, after the documented bounded wait."""
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    with _history_held(out_dir, monkeypatch):
        result = replan(book(BASE, PLAN_1), out_dir)
    assert result.exit_code == 2, result.output
    assert "history.sqlite" in result.stderr and "locked by another program" in result.stderr
    assert "not reopt's own lock" in result.stderr and ".reopt.lock" in result.stderr


def _quick(path: Path) -> sqlite3.Connection:
    return sqlite3.Connection(path, timeout=0.1)


@contextlib.contextmanager
def _history_held(out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another program's write transaction on history.sqlite (reopt's waits made short)."""
    holder = sqlite3.connect(out_dir / history.HISTORY_NAME)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(history.sqlite3, "connect", lambda path, timeout: _quick(path))
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_history_locked_while_solving_ends_the_run_within_the_bounded_wait(
    book, tmp_path, monkeypatch
):
    """A reporting tool takes a write lock on history.sqlite while the plan is solved: the
    run waits `BUSY_SECONDS` at each of its two last accesses, then exits 2 naming the
    file; it leaves no plan folder and the next run, once the lock is gone, succeeds."""
    out_dir = tmp_path / "nightly"
    source = book(BASE, PLAN_1)
    assert replan(source, out_dir).exit_code == 0
    folders = plan_folders(out_dir)
    holder = sqlite3.connect(out_dir / history.HISTORY_NAME, isolation_level=None)
    solve = optimizer.runs.replan.compare

    def solve_then_lock(*args, **kwargs):
        found = solve(*args, **kwargs)
        holder.execute("BEGIN EXCLUSIVE")
        return found

    monkeypatch.setattr(optimizer.runs.replan, "compare", solve_then_lock)
    monkeypatch.setattr(history, "BUSY_SECONDS", 0.5, raising=False)
    waits = []
    connect = sqlite3.connect
    monkeypatch.setattr(
        history.sqlite3,
        "connect",
        lambda path, timeout: waits.append(timeout) or connect(path, timeout=min(timeout, 0.5)),
    )
    started = time.monotonic()
    try:
        result = replan(source, out_dir)
    finally:
        holder.rollback()
        holder.close()
    assert time.monotonic() - started < 20
    assert set(waits) == {0.5}
    assert result.exit_code == 2, result.output
    assert "history.sqlite" in result.stderr and "locked by another program" in result.stderr
    assert plan_folders(out_dir) == folders and not list(out_dir.glob(".partial-*"))
    monkeypatch.undo()
    assert replan(source, out_dir).exit_code == 0


def test_the_documented_history_wait_is_the_one_used():
    text = " ".join((ROOT / "docs" / "replan.md").read_text().split())
    assert f"waits at most {history.BUSY_SECONDS:g} s" in text
    assert f"at most {2 * history.BUSY_SECONDS:g} s after meeting the lock" in text


def test_reset_history_never_moves_a_locked_history_aside(book, tmp_path, monkeypatch):
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    with _history_held(out_dir, monkeypatch):
        result = replan(book(BASE, PLAN_1), out_dir, "--reset-history")
    assert result.exit_code == 2, result.output
    assert not list(out_dir.glob("*.corrupt-*"))
    assert [run.status for run in history.runs(out_dir)] == ["ok"]


# --- the input and the clock during a nightly run ----------------------------------------


def test_the_run_folder_holds_the_bytes_that_were_solved(book, tmp_path, monkeypatch):
    """The scheduler's upload replaces the input while the run solves: input.xlsx, run.json,
    the history and the plan's Summary all name the bytes that were read and solved."""
    source = book(BASE, PLAN_1)
    solved = source.read_bytes()
    upload = book(BASE, PLAN_1, PLAN_2).read_bytes()
    solve = optimizer.runs.replan.compare

    def upload_while_solving(*args, **kwargs):
        found = solve(*args, **kwargs)
        source.write_bytes(upload)
        return found

    monkeypatch.setattr(optimizer.runs.replan, "compare", upload_while_solving)
    out_dir = tmp_path / "nightly"
    result = replan(source, out_dir)
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    digest = hashlib.sha256(solved).hexdigest()
    assert (folder / "input.xlsx").read_bytes() == solved
    assert json.loads((folder / "run.json").read_text())["input_sha256"] == digest
    assert history.runs(out_dir)[0].input_sha256 == digest
    summary = pd.read_excel(folder / "plan.xlsx", sheet_name="Summary", engine="calamine")
    assert digest in summary.astype(str).to_numpy().ravel().tolist()


def _clock(monkeypatch: pytest.MonkeyPatch, *stamps: str) -> None:
    """The wall clock replan names folders by reads `stamps` in turn (NTP steps, VM restores)."""
    times = [dt.datetime.fromisoformat(stamp) for stamp in stamps]

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return times.pop(0)

    monkeypatch.setattr(
        optimizer.runs.replan, "dt", types.SimpleNamespace(datetime=Clock, UTC=dt.UTC)
    )


def test_keep_after_the_clock_steps_back_keeps_the_run_just_written(book, tmp_path, monkeypatch):
    _clock(monkeypatch, "2026-11-23T02:00:00+00:00", "2026-11-22T02:00:00+00:00")
    source, out_dir = book(BASE, PLAN_1), tmp_path / "nightly"
    first = replan(source, out_dir, "--keep", "1")
    second = replan(source, out_dir, "--keep", "1")
    assert first.exit_code == second.exit_code == 0, second.output
    newest = Path(json.loads(second.stdout)["folder"])
    assert newest.is_dir() and (newest / "plan.xlsx").is_file()
    assert plan_folders(out_dir) == [newest.name]
    assert history.runs(out_dir)[0].folder == newest.name


def test_a_repeated_second_never_reuses_a_folder_name(book, tmp_path, monkeypatch):
    _clock(monkeypatch, *["2026-11-23T02:00:00+00:00"] * 3)
    source, out_dir = book(BASE, PLAN_1), tmp_path / "nightly"
    records = [json.loads(replan(source, out_dir, "--keep", "1").stdout) for _ in range(3)]
    assert [record["exit_code"] for record in records] == [0, 0, 0]
    names = [Path(record["folder"]).name for record in records]
    assert len(set(names)) == 3
    assert plan_folders(out_dir) == [names[-1]]
    assert [run.folder for run in history.runs(out_dir)] == names[::-1]


def test_keep_counts_successful_runs_by_history_not_by_name(book, tmp_path):
    """Folders are pruned by run id; failed runs have none, and folders the history does
    not name (a copy an operator left there) are never touched."""
    source, out_dir = book(BASE, PLAN_1), tmp_path / "nightly"
    out_dir.mkdir()
    (out_dir / "99999999T999999Z").mkdir()
    assert replan(source, out_dir, "--keep", "2").exit_code == 0
    assert (
        replan(book(BASE, "[Demand]\nsite|material|period|quantity\nX|M|P1|1"), out_dir).exit_code
        == 2
    )
    assert replan(source, out_dir, "--keep", "2").exit_code == 0
    assert replan(source, out_dir, "--keep", "2").exit_code == 0
    ok = [run for run in history.runs(out_dir) if run.status == "ok"]
    assert plan_folders(out_dir) == sorted([ok[0].folder, ok[1].folder, "99999999T999999Z"])


# --- full disks and read-only folders ---------------------------------------------------


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_solving_over_an_existing_plan(tmp_path, monkeypatch):
    target = tmp_path / "plan.xlsx"
    assert CliRunner().invoke(cli, ["solve", str(EXAMPLE), "-o", str(target)]).exit_code == 0
    before = _sha(target)
    monkeypatch.setattr(optimizer.report.plan_book, "write_plan_dashboard", _disk_full)
    result = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "-o", str(target), "--json"])
    assert result.exit_code == 2, result.output
    assert f"{target}: the disk is full" in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 2
    assert _sha(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_disk_full_during_replan_names_the_disk_and_keeps_earlier_folders(
    book, tmp_path, monkeypatch
):
    source = book(BASE, PLAN_1)
    out_dir = tmp_path / "nightly"
    assert replan(source, out_dir).exit_code == 0
    intact = snapshot(out_dir)
    monkeypatch.setattr(optimizer.runs.replan, "write_comparison_workbook", _disk_full)
    result = replan(source, out_dir)
    assert result.exit_code == 2, result.output
    assert "the disk is full" in result.stderr and str(out_dir) in result.stderr
    assert snapshot(out_dir) == intact
    assert history.runs(out_dir)[0].status == "failed"


def test_a_real_full_disk_during_solve_and_replan(book, tmp_path):
    source = book(BASE, PLAN_1)
    with tmpfs(tmp_path / "small", "2m") as disk:
        target = disk / "plan.xlsx"
        assert reopt("solve", str(source), "-o", str(target)).returncode == 0
        out_dir = disk / "nightly"
        assert reopt("replan", str(source), "--out-dir", str(out_dir)).returncode == 0
        before, intact = _sha(target), snapshot(out_dir)
        fill(disk)
        solved = reopt("solve", str(source), "-o", str(target))
        assert solved.returncode == 2, solved.stderr
        assert "disk is full" in solved.stderr and "Traceback" not in solved.stderr
        assert _sha(target) == before
        nightly = reopt("replan", str(source), "--out-dir", str(out_dir))
        assert nightly.returncode == 2, nightly.stderr
        assert "disk is full" in nightly.stderr and "Traceback" not in nightly.stderr
        assert snapshot(out_dir) == intact
        (disk / "filler").unlink()
        again = reopt("replan", str(source), "--out-dir", str(out_dir))
        assert again.returncode == 0, again.stderr


def test_a_read_only_folder_is_an_output_error(book, tmp_path):
    source = book(BASE, PLAN_1)
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as folder:
        solved = reopt("solve", str(source), "-o", str(folder / "plan.xlsx"))
        assert solved.returncode == 2, solved.stderr
        assert "not writable" in solved.stderr
        nightly = reopt("replan", str(source), "--out-dir", str(folder))
        assert nightly.returncode == 2, nightly.stderr
        assert "Read-only file system" in nightly.stderr and "Traceback" not in nightly.stderr


def test_an_interrupt_caught_in_a_finaliser_is_delivered_again(monkeypatch):
    """Ctrl-C landing in a `__del__` is neither printed as a traceback nor lost."""
    from optimizer import exits

    class Finalised:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "unraisablehook", exits._interrupts_are_not_lost)
    with pytest.raises(KeyboardInterrupt):
        Finalised()
        time.sleep(2)
