"""`--json` output is exactly one JSON object on stdout, from a real process (issue 10).

Solver banners are printed by HiGHS's C++ code on file descriptor 1, which click's
test runner cannot see, so these tests run the installed console script.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from tests.test_known_answers import BASE

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
REOPT = Path(sys.executable).with_name("reopt")


def only_json(*args: object) -> dict:
    """Run `reopt ARGS --json` and parse its whole standard output as one object."""
    done = subprocess.run(
        [str(REOPT), *map(str, args), "--json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)  # fails on any banner or second object
    assert isinstance(record, dict)
    return record


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.workbooks import merge, write_book

    return write_book(tmp_path_factory.mktemp("json") / "small.xlsx", merge(BASE))


def test_validate_prints_one_json_object(small):
    assert only_json("validate", small)["status"] == "ok"


def test_solve_prints_one_json_object(small, tmp_path):
    assert only_json("solve", small, "-o", tmp_path / "plan.xlsx")["objective"] > 0


def test_solve_of_the_example_prints_one_json_object(tmp_path):
    assert only_json("solve", EXAMPLE, "-o", tmp_path / "plan.xlsx")["status"] == "optimal"


def test_whatif_prints_one_json_object(small, tmp_path):
    record = only_json("whatif", small, "--workers", "1", "-o", tmp_path / "cmp.xlsx")
    assert record["comparison"]


def test_replan_and_history_print_one_json_object_each(small, tmp_path):
    runs = tmp_path / "runs"
    assert only_json("replan", small, "--out-dir", runs, "--workers", "1")["run_id"] == 1
    assert [run["id"] for run in only_json("history", "--out-dir", runs)["runs"]] == [1]


def test_solves_with_different_thread_counts_follow_each_other_in_one_process(small, tmp_path):
    """HiGHS keeps one scheduler per process; reopt must still honour every --threads."""

    def ok(*args: object) -> float:
        result = CliRunner().invoke(cli, [str(a) for a in args] + ["--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout).get("objective", 0.0)

    first = ok("solve", small, "-o", tmp_path / "a.xlsx", "--threads", "2")
    ok("whatif", small, "--workers", "1", "-o", tmp_path / "w.xlsx")
    ok("replan", small, "--out-dir", tmp_path / "runs", "--workers", "1")
    assert ok("solve", small, "-o", tmp_path / "b.xlsx", "--threads", "1") == first
    assert ok("solve", small, "-o", tmp_path / "c.xlsx") == first


def test_a_usage_error_under_json_prints_one_error_object(small):
    """An unknown option is a usage error (exit 2): with --json, still one JSON object."""
    done = subprocess.run(
        [str(REOPT), "solve", str(small), "--no-such-option", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    record = json.loads(done.stdout)
    assert (record["status"], record["exit_code"]) == ("usage error", 2)
    assert "--no-such-option" in record["error"] and "--no-such-option" in done.stderr
