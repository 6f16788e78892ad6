"""Output hazards: where a plan may not go, and text that must stay inert text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.report.writer import EXCEL_TEXT_LIMIT, TRUNCATED, safe_text
from tests.test_known_answers import BASE
from tests.workbooks import merge, write_book


def solve(source: Path, target: Path):
    return CliRunner().invoke(cli, ["solve", str(source), "-o", str(target)])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/proc/plan.xlsx", "is not writable"),
        ("missing-folder/plan.xlsx", "does not exist"),
        ("plan.csv", "name it *.xlsx"),
        ("folder.xlsx", "is a folder"),
    ],
)
def test_unusable_targets_are_refused_before_solving(tmp_path, book, target, message):
    (tmp_path / "folder.xlsx").mkdir()
    path = Path(target) if target.startswith("/") else tmp_path / target
    result = solve(book(BASE), path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("lock", ["~$plan.xlsx", ".~lock.plan.xlsx#"])
def test_plan_open_in_excel_or_libreoffice_is_refused(tmp_path, book, lock):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"previous plan")
    (tmp_path / lock).write_bytes(b"owner")
    result = solve(book(BASE), target)
    assert result.exit_code == 2
    assert "is open in Excel or LibreOffice" in result.stderr
    assert target.read_bytes() == b"previous plan"


def test_input_strings_that_look_like_formulas_stay_text(tmp_path):
    sheets = merge(BASE)
    sheets["Suppliers"][1][0] = "@SUM(1+1)"
    sheets["Sites"] = [["site"], ["-2+3"]]
    sheets["Demand"] = [["site", "material", "period", "quantity"], ["-2+3", "M", "P1", 1.0]]
    sheets["Scenarios"] = [["scenario", "description"], ["base", "=cmd|' /C calc'!A0"]]
    target = tmp_path / "plan.xlsx"
    assert solve(write_book(tmp_path / "in.xlsx", sheets), target).exit_code == 0
    book = openpyxl.load_workbook(target)
    for cell in (book["Plan"]["A2"], book["Plan"]["F2"]):
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    description = summary["scenario_description"]
    assert description.value == "=cmd|' /C calc'!A0"
    assert description.data_type == "s" and description.quotePrefix


def test_control_characters_from_the_input_are_replaced(tmp_path):
    sheets = merge(BASE)
    sheets["Scenarios"] = [["scenario", "description"], ["base", "bell\x07and\x1bescape"]]
    target = tmp_path / "plan.xlsx"
    assert solve(write_book(tmp_path / "in.xlsx", sheets), target).exit_code == 0
    rows = openpyxl.load_workbook(target)["Summary"].iter_rows(min_row=2, values_only=True)
    assert dict(rows)["scenario_description"] == "bell\ufffdand\ufffdescape"


@pytest.mark.parametrize(
    ("text", "expected", "quoted"),
    [
        (
            "x" * (EXCEL_TEXT_LIMIT + 10),
            "x" * (EXCEL_TEXT_LIMIT - len(TRUNCATED)) + TRUNCATED,
            False,
        ),
        ("tab\tinside", "tab\tinside", False),
        ("\tleading tab", "\tleading tab", True),
        ("+1", "+1", True),
        ("plain", "plain", False),
    ],
)
def test_safe_text(text, expected, quoted):
    assert safe_text(text) == (expected, quoted)


def test_reopt_refuses_to_run_without_defusedxml(tmp_path, book):
    source = book(BASE)
    code = (
        "import sys; sys.modules['defusedxml'] = None; "
        "from optimizer.cli import main; sys.argv = ['reopt', 'validate', sys.argv[1]]; main()"
    )
    done = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "refuses to read workbooks without the 'defusedxml' package" in done.stderr
    assert "Traceback" not in done.stderr
