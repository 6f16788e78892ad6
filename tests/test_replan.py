"""reopt replan / history: lock, history, Changes, failure isolation, retention."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.plan.changes import plan_changes
from optimizer.runs import history
from optimizer.runs.lock import LOCK_NAME, folder_lock
from tests.test_known_answers import BASE

PLAN_1 = """
[Materials]
material | shortage_penalty | safety_penalty | holding_cost
M        | 1000             | 0              | 100
"""
PLAN_2 = """
[Countries]
country
A
B
[Suppliers]
supplier | material | country | capacity | unit_cost
S        | M        | A       | 6        | 10
T        | M        | B       | 100      | 20
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 5
Plant | M        | P2     | 8
"""


def replan(source: Path, out_dir: Path, *args: str):
    return CliRunner().invoke(
        cli, ["replan", str(source), "--out-dir", str(out_dir), "--workers", "1", "--json", *args]
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` except the history database, with its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(history.HISTORY_NAME)
    }


def shown(value: object) -> str:
    """A cell as text, whole numbers without decimals."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plan_folders(out_dir: Path) -> list[str]:
    return sorted(p.name for p in out_dir.iterdir() if p.is_dir())


def test_first_run_writes_a_complete_folder_and_records_it(book, tmp_path):
    out_dir = tmp_path / "nightly"
    result = replan(book(BASE, PLAN_1), out_dir)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    folder = Path(record["folder"])
    assert sorted(p.name for p in folder.iterdir()) == [
        "input.xlsx",
        "plan.xlsx",
        "run.json",
        "whatif.xlsx",
    ]
    assert record["objectives"] == {"base": pytest.approx(100)}
    run = json.loads((folder / "run.json").read_text())
    assert run["scenarios"]["base"]["status"] == "optimal"
    changes = pd.read_excel(
        folder / "plan.xlsx", sheet_name="Changes", header=None, engine="calamine"
    )
    assert "first run" in str(changes.iloc[0, 1])
    [row] = history.runs(out_dir)
    assert (row.status, row.exit_code, row.folder, row.note) == ("ok", 0, folder.name, None)


def test_changes_sheet_on_a_known_pair_of_inputs(book, tmp_path):
    """Run 1 buys 5 + 5 from S (100). Run 2: P2 demand 5 → 8, S capacity 100 → 6, new
    supplier T at 20/t; holding costs 100/t, so P2 takes 6 from S and 2 from T (150)."""
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    result = replan(book(BASE, PLAN_1, PLAN_2), out_dir)
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    sheet = pd.read_excel(
        folder / "plan.xlsx", sheet_name="Changes", header=None, engine="calamine"
    )
    rows = [[shown(c) for c in row if not pd.isna(c)] for row in sheet.to_numpy().tolist()]
    assert ["objective then", "100"] in rows and ["objective now", "150"] in rows
    assert ["objective change", "50"] in rows
    assert ["S", "M", "Plant", "P2", "5", "6", "1", "50", "60", "10"] in rows
    assert ["T", "M", "Plant", "P2", "0", "2", "2", "0", "40", "40"] in rows
    assert ["T", "M", "new", "0", "2"] in rows
    assert ["Demand", "Plant / M / P2", "quantity", "5", "8"] in rows
    assert ["Suppliers", "S / M", "capacity", "100", "6"] in rows
    assert ["Suppliers", "T / M", "(row)", "absent", "added"] in rows


def test_identical_input_still_runs_and_is_marked(book, tmp_path):
    out_dir = tmp_path / "nightly"
    source = book(BASE, PLAN_1)
    assert replan(source, out_dir).exit_code == 0
    time.sleep(1.1)
    second = json.loads(replan(source, out_dir).stdout)
    assert second["note"] == "unchanged input"
    assert second["compared_with"] == 1
    assert len(plan_folders(out_dir)) == 2


@pytest.mark.parametrize(
    ("bad", "code", "message"),
    [
        ("""
         [Suppliers]
         supplier | material | country | capacity | unit_cost
         S        | M        | Chna    | 100      | 10
         """, 2, "Chna"),
        ("""
         [Stock]
         site  | material | max
         Plant | M        | 1
         [Pipeline]
         site  | material | period | quantity
         Plant | M        | P1     | 50
         """, 3, "storage max"),
    ],
)  # fmt: skip
def test_failed_run_is_recorded_and_leaves_everything_else_identical(
    book, tmp_path, bad, code, message
):
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    before_files = snapshot(out_dir)
    before_rows = history.runs(out_dir)
    result = replan(book(BASE, PLAN_1, bad), out_dir)
    assert result.exit_code == code
    assert message in result.stderr
    assert snapshot(out_dir) == before_files
    rows = history.runs(out_dir)
    assert rows[1:] == before_rows
    assert (rows[0].status, rows[0].exit_code, rows[0].folder) == ("failed", code, None)
    assert message in rows[0].error


def test_crash_while_writing_leaves_no_folder(book, tmp_path, monkeypatch):
    import optimizer.runs.replan

    def broken(*args, **kwargs):
        raise OSError("disk full")

    out_dir = tmp_path / "nightly"
    monkeypatch.setattr(optimizer.runs.replan, "write_comparison_workbook", broken)
    result = replan(book(BASE, PLAN_1), out_dir)
    assert result.exit_code == 1
    assert plan_folders(out_dir) == []
    [row] = history.runs(out_dir)
    assert (row.status, row.exit_code) == ("failed", 1)
    assert "disk full" in row.error


def test_second_run_is_refused_while_the_lock_is_held(book, tmp_path):
    out_dir = tmp_path / "nightly"
    out_dir.mkdir()
    with folder_lock(out_dir):
        result = replan(book(BASE), out_dir)
    assert result.exit_code == 4
    assert "another reopt run holds the lock" in result.stderr
    assert plan_folders(out_dir) == []
    assert history.runs(out_dir) == []


def test_lock_held_by_a_concurrent_process(book, tmp_path):
    out_dir = tmp_path / "nightly"
    out_dir.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from optimizer.runs.lock import folder_lock\n"
         "with folder_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
         str(out_dir)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.perf_counter()
        result = replan(book(BASE), out_dir)
        assert result.exit_code == 4
        assert time.perf_counter() - started < 5
        assert f"pid {holder.pid}" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert replan(book(BASE), out_dir).exit_code == 0


def test_stale_lock_of_a_dead_process_is_recovered(book, tmp_path):
    out_dir = tmp_path / "nightly"
    out_dir.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = {"pid": dead.pid, "host": os.uname().nodename, "started": "2026-11-21T02:00:00+00:00"}
    (out_dir / LOCK_NAME).write_text(json.dumps(stale))
    run_id = history.start_run(out_dir, "died mid-run")
    result = replan(book(BASE), out_dir)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recovered_stale_lock"]["pid"] == dead.pid
    rows = {row.id: row for row in history.runs(out_dir)}
    assert rows[run_id].status == "interrupted"


def test_keep_retains_the_newest_folders_and_all_history(book, tmp_path):
    out_dir = tmp_path / "nightly"
    source = book(BASE, PLAN_1)
    for _ in range(3):
        assert replan(source, out_dir, "--keep", "2").exit_code == 0
        time.sleep(1.1)
    runs = history.runs(out_dir)
    assert len(runs) == 3
    assert plan_folders(out_dir) == sorted(run.folder for run in runs[:2])


def test_history_command_lists_runs(book, tmp_path):
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    replan(
        book(BASE, "[Demand]\nsite | material | period | quantity\nNowhere | M | P1 | 1"), out_dir
    )
    result = CliRunner().invoke(cli, ["history", "--out-dir", str(out_dir), "--json"])
    assert result.exit_code == 0
    runs = json.loads(result.stdout)["runs"]
    assert [(r["id"], r["status"], r["exit_code"]) for r in runs] == [
        (2, "failed", 2),
        (1, "ok", 0),
    ]
    assert runs[1]["objectives"] == {"base": pytest.approx(100)}
    text = CliRunner().invoke(cli, ["history", "--out-dir", str(out_dir)]).stdout
    assert "#2" in text and "Nowhere" in text
    with sqlite3.connect(out_dir / history.HISTORY_NAME) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    assert columns == list(history.COLUMNS)


def test_changes_put_the_inputs_first_and_sum_per_supplier(book, tmp_path):
    """The same pair as above: the input changes head the sheet, then the per-supplier
    sums (S +1 t, T +2 t), and the per-period rows come last; `history` has a header."""
    out_dir = tmp_path / "nightly"
    assert replan(book(BASE, PLAN_1), out_dir).exit_code == 0
    result = replan(book(BASE, PLAN_1, PLAN_2), out_dir)
    folder = Path(json.loads(result.stdout)["folder"])
    sheet = pd.read_excel(
        folder / "plan.xlsx", sheet_name="Changes", header=None, engine="calamine"
    )
    rows = [[shown(c) for c in row if not pd.isna(c)] for row in sheet.to_numpy().tolist()]
    titles = [row[0] for row in rows if row and str(row[0]).endswith("row(s)")]
    assert [title.split(":")[0] for title in titles] == [
        "Input changes since the last run",
        "Plan changes per supplier and material (all sites and periods)",
        "Suppliers new to the plan or dropped from it",
        "Plan changes per supplier, material, site and period",
    ]
    heads = [row[:5] for row in rows]
    assert ["T", "M", "1", "2", "40"] in heads and ["S", "M", "1", "1", "10"] in heads
    listing = CliRunner().invoke(cli, ["history", "--out-dir", str(out_dir)])
    lines = listing.output.splitlines()
    assert lines[0].split()[:3] == ["run", "started", "(UTC)"] and len(lines) == 3
    assert all("book" in line for line in lines[1:])


def test_changes_below_1e_9_are_none():
    old = pd.DataFrame(
        {"supplier": ["S", "T"], "material": "M", "site": "Plant", "period": "P1",
         "quantity": [1.0, 2.0], "total_cost": [10.0, 40.0]}
    )  # fmt: skip
    new = old.assign(quantity=[1.0 + 4.4e-16, 2.5], total_cost=[10.0, 50.0])
    changed = plan_changes(old, new)
    assert changed["supplier"].tolist() == ["T"]
    assert changed["change_t"].tolist() == [0.5]
