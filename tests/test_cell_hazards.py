"""Hazards that must be read correctly rather than rejected, and warnings that are not fatal."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.test_bad_inputs import rich, set_cell
from tests.test_known_answers import BASE
from tests.workbooks import Formula, merge, write_book


def solve_path(path: Path):
    inputs = load_inputs(path)
    return inputs, solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())


def test_spaces_case_and_non_breaking_spaces_still_match(tmp_path):
    sheets = merge(BASE)
    sheets["Suppliers"][1][2] = "\u00a0a \u00a0"  # country A, typed with odd spaces and case
    sheets["Suppliers"][0] = [" Supplier", "MATERIAL", "country ", "capacity", " Unit Cost "]
    _, run = solve_path(write_book(tmp_path / "spaces.xlsx", sheets))
    assert run.tables.objective == pytest.approx(100)
    assert run.tables.plan["country"].unique().tolist() == ["A"]


def test_numbers_stored_as_text_are_numbers(tmp_path):
    sheets = merge(BASE)
    sheets["Suppliers"][1][3:5] = [" 100 ", "1e1"]
    _, run = solve_path(write_book(tmp_path / "text.xlsx", sheets))
    assert run.tables.objective == pytest.approx(100)


def test_whole_numbers_are_labels_without_decimals(tmp_path):
    sheets = merge(BASE)
    sheets["Periods"] = [["period"], [1.0], [2.0]]
    sheets["Demand"] = [["site", "material", "period", "quantity"], ["Plant", "M", "1", 5.0],
                        ["Plant", "M", 2.0, 5.0]]  # fmt: skip
    inputs, run = solve_path(write_book(tmp_path / "numbers.xlsx", sheets))
    assert inputs.periods == ["1", "2"]
    assert run.tables.objective == pytest.approx(100)


@pytest.mark.parametrize(
    ("first", "second", "labels"),
    [
        (dt.date(2027, 1, 1), dt.date(2027, 2, 1), ["2027-01", "2027-02"]),
        (dt.date(2027, 1, 4), dt.date(2027, 1, 11), ["2027-01-04", "2027-01-11"]),
    ],
)
def test_dates_used_as_period_labels(tmp_path, first, second, labels):
    sheets = merge(BASE)
    sheets["Periods"] = [["period"], [first], [second]]
    sheets["Demand"] = [["site", "material", "period", "quantity"],
                        ["Plant", "M", labels[0], 5.0], ["Plant", "M", second, 5.0]]  # fmt: skip
    inputs, run = solve_path(write_book(tmp_path / "dates.xlsx", sheets))
    assert inputs.periods == labels
    assert run.tables.stock["period"].tolist() == labels


def test_1904_date_system_reads_the_same_dates(tmp_path):
    sheets = merge(BASE)
    march, april = dt.date(2027, 3, 1), dt.date(2027, 4, 1)
    sheets["Periods"] = [["period"], [march], [april]]
    sheets["Demand"] = [["site", "material", "period", "quantity"],
                        ["Plant", "M", march, 5.0], ["Plant", "M", april, 5.0]]  # fmt: skip
    path = write_book(tmp_path / "mac.xlsx", sheets, date_1904=True)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    inputs, run = solve_path(path)
    assert inputs.periods == ["2027-03", "2027-04"]
    assert run.tables.stock["period"].tolist() == ["2027-03", "2027-04"]


def test_leading_empty_rows_keep_excel_row_numbers(tmp_path):
    sheets = merge(BASE)
    sheets["Suppliers"] = [[], [], *sheets["Suppliers"], ["T", "M", "A", -1.0, 10.0]]
    result = CliRunner().invoke(cli, ["validate", str(write_book(tmp_path / "gap.xlsx", sheets))])
    assert result.exit_code == 2
    assert "Suppliers!D5 capacity: -1 must be a number ≥ 0" in result.stderr


def test_formulas_with_saved_results_are_read(tmp_path):
    sheets = merge(BASE)
    sheets["Suppliers"][1][3] = Formula("=50+50", 100)
    _, run = solve_path(write_book(tmp_path / "formula.xlsx", sheets))
    assert run.tables.objective == pytest.approx(100)


@pytest.mark.parametrize("word", ["Y", "TRUE", "yes", 1.0, True])
def test_yes_no_words(tmp_path, word):
    sheets = merge(BASE)
    sheets["Countries"][1][1] = word  # A covered: nothing changes for a commercial site
    inputs, _ = solve_path(write_book(tmp_path / "yes.xlsx", sheets))
    assert bool(inputs.countries.at["A", "covered"]) is True


def test_warnings_are_printed_and_not_fatal(tmp_path):
    sheets = rich()
    set_cell(sheets, "Suppliers", 2, "notes", "call them")
    sheets["Extra"] = [["anything"], ["here"]]
    sheets["Sources"] = [["figure", "source"], ["x", "y"]]
    path = write_book(tmp_path / "warned.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    book["Extra"].sheet_state = "hidden"
    book.create_sheet("Hidden notes").sheet_state = "hidden"
    book["Sites"].sheet_state = "hidden"
    book.save(path)
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(tmp_path / "plan.xlsx")])
    assert result.exit_code == 0, result.output
    assert 'Suppliers!I1: "notes" unknown column, ignored' in result.stderr
    assert "Extra: unknown sheet, ignored" in result.stderr
    assert "Hidden notes: unknown sheet, ignored" in result.stderr
    assert "Sites: sheet is hidden in Excel but is read" in result.stderr
    assert "Sources" not in result.stderr


def test_defence_spelling_is_warned(tmp_path):
    sheets = rich()
    set_cell(sheets, "Sites", 3, "end_use", "Defence")
    set_cell(sheets, "Controls", 4, "end_use", "defence")
    result = CliRunner().invoke(cli, ["validate", str(write_book(tmp_path / "uk.xlsx", sheets))])
    assert result.exit_code == 0, result.output
    assert "Sites!B3 end_use:" in result.stdout and "not the label 'defense'" in result.stdout


def test_a_rule_for_an_end_use_no_site_has_is_a_warning_and_the_plan_is_written(tmp_path):
    """SPEC v2: one Controls sheet serves many plants; a label no site carries matches none."""
    sheets = rich()
    set_cell(sheets, "Controls", 4, "end_use", "aerospace")
    path = write_book(tmp_path / "plants.xlsx", sheets)
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert 'Controls!D4 end_use: "aerospace" is an end_use no site carries' in result.stderr
    assert target.exists()
