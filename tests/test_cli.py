"""The `reopt` command line: outputs, exit codes of SPEC §3, and what is (not) written."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from tests.test_known_answers import BASE, ONE_PERIOD

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
REOPT = Path(sys.executable).with_name("reopt")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def summary_values(path: Path) -> dict[str, object]:
    sheet = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {metric: value for metric, value in sheet.iter_rows(min_row=2, values_only=True)}


def test_console_script_solves_the_example_and_json_matches_summary(tmp_path):
    target = tmp_path / "plan.xlsx"
    before = sha(EXAMPLE)
    done = subprocess.run(
        [str(REOPT), "solve", str(EXAMPLE), "-o", str(target), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    summary = summary_values(target)
    assert record["objective"] == summary["objective"]
    assert record["output"] == str(target)
    assert sha(EXAMPLE) == before
    assert set(openpyxl.load_workbook(target).sheetnames) >= {
        "Summary", "Plan", "Stock", "Mix", "Capacity", "Warnings"
    }  # fmt: skip


def test_human_summary_and_default_output_folder(tmp_path, monkeypatch, book):
    source = book(BASE, name="small.xlsx")
    monkeypatch.chdir(tmp_path)
    result = run("solve", source)
    assert result.exit_code == 0, result.output
    assert "objective       100.00 USD" in result.stdout
    assert (tmp_path / "outputs" / "small-base.xlsx").exists()


def test_plan_sheets_are_readable(tmp_path, book):
    target = tmp_path / "plan.xlsx"
    assert run("solve", book(BASE), "-o", target).exit_code == 0
    workbook = openpyxl.load_workbook(target)
    plan = workbook["Plan"]
    assert plan.freeze_panes == "A2"
    assert plan.auto_filter.ref.startswith("A1")
    headers = [cell.value for cell in plan[1]]
    assert headers[:11] == [
        "supplier", "material", "country", "refined_in", "mined_in", "site", "period",
        "order_by", "quantity", "landed_cost", "total_cost",
    ]  # fmt: skip
    quantity = plan.cell(row=2, column=headers.index("quantity") + 1)
    assert quantity.number_format == "#,##0.000"
    share = workbook["Summary"]
    formats = {row[0].value: row[1].number_format for row in share.iter_rows(min_row=2)}
    assert formats["licensed_share"] == "0.0%"


def test_strings_from_the_input_are_never_formulas(tmp_path, book):
    """OWASP formula injection: a supplier named like a formula stays text."""
    source = book(
        BASE,
        """
        [Suppliers]
        supplier                         | material | country | capacity | unit_cost
        =HYPERLINK("http://x.example")   | M        | A       | 100      | 10
        """,
    )
    target = tmp_path / "plan.xlsx"
    assert run("solve", source, "-o", target).exit_code == 0
    cell = openpyxl.load_workbook(target)["Plan"]["A2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x.example")'
    assert cell.quotePrefix


def test_validate_lists_scenarios_and_warnings():
    result = run("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.stdout
    assert "scenario heavy-ban" in result.stdout


def test_unknown_scenario_is_a_usage_error_with_a_hint(tmp_path, book):
    source = book(BASE, ONE_PERIOD)
    target = tmp_path / "plan.xlsx"
    result = run("solve", source, "--scenario", "bsae", "-o", target)
    assert result.exit_code == 2
    assert "'bsae' is not in Scenarios" in result.stderr
    assert 'did you mean "base"' in result.stderr
    assert not target.exists()


def test_output_equal_to_input_is_refused(book):
    source = book(BASE)
    before = sha(source)
    result = run("solve", source, "-o", source)
    assert result.exit_code == 2
    assert "input workbook" in result.stderr
    assert sha(source) == before


def test_no_plan_exits_3_and_writes_nothing(tmp_path, book):
    source = book(
        BASE,
        """
        [Stock]
        site  | material | max
        Plant | M        | 5
        [Pipeline]
        site  | material | period | quantity
        Plant | M        | P1     | 50
        """,
    )
    target = tmp_path / "plan.xlsx"
    result = run("solve", source, "-o", target, "--json")
    assert result.exit_code == 3
    assert "No plan: infeasible" in result.stderr
    assert "storage max of 5 t" in result.stderr
    assert json.loads(result.stdout)["status"] == "no plan"
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == [source.name]


def test_time_limit_without_a_plan_exits_3(tmp_path):
    target = tmp_path / "plan.xlsx"
    result = run("solve", EXAMPLE, "-o", target, "--time-limit", "1e-9")
    assert result.exit_code == 3
    assert "time limit" in result.stderr
    assert not target.exists()


def test_internal_error_is_one_line_and_debug_shows_the_traceback(tmp_path, book, monkeypatch):
    import optimizer.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(optimizer.pipeline, "plan_tables", broken)
    source = book(BASE)
    result = run("solve", source, "-o", tmp_path / "plan.xlsx")
    assert result.exit_code == 1
    assert "internal error (RuntimeError: boom)" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("solve", source, "-o", tmp_path / "plan.xlsx", "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert not (tmp_path / "plan.xlsx").exists()


def test_existing_plan_is_replaced_whole(tmp_path, book):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old plan")
    assert run("solve", book(BASE), "-o", target).exit_code == 0
    assert summary_values(target)["objective"] == pytest.approx(100)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "book1.xlsx") == ["plan.xlsx"]


def test_stage_lines_appear_only_once_a_run_takes_seconds():
    import io

    from optimizer.console import StageLog

    quiet, loud = io.StringIO(), io.StringIO()
    slow_run, fast_run = StageLog(loud, after=0.0), StageLog(quiet, after=3600.0)
    for log in (slow_run, fast_run):
        log("read", 0.5)
        log("solve", 12.25)
    assert quiet.getvalue() == ""
    assert loud.getvalue().splitlines() == [
        "reopt: read          0.50 s",
        "reopt: solve        12.25 s",
    ]
