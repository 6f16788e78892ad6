"""Hidden rows, columns and sheets are read like visible ones, and each is a located warning.

A buyer who hid last year's rows, or filtered the Demand sheet to one site, must be told
that reopt still reads them (inputs/README.md, Hidden rows and sheets): nothing is read,
and nothing is dropped, without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.test_known_answers import BASE
from tests.workbooks import merge, strict, write_book


def _hidden_book(path: Path, edit) -> Path:
    write_book(path, merge(BASE))
    book = openpyxl.load_workbook(path)
    edit(book)
    book.save(path)
    return path


def _hide_rows(*rows: int):
    def edit(book: openpyxl.Workbook) -> None:
        for row in rows:
            book["Demand"].row_dimensions[row].hidden = True

    return edit


def _objective(path: Path) -> float:
    inputs = load_inputs(path)
    return solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions()).tables.objective


def test_hidden_rows_are_read_and_named_in_a_warning(tmp_path):
    path = _hidden_book(tmp_path / "hidden.xlsx", _hide_rows(3))
    assert _objective(path) == pytest.approx(100)  # P2's 5 t are still bought
    result = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    [warning] = [w for w in json.loads(result.stdout)["warnings"] if "hidden" in w["message"]]
    assert (warning["sheet"], warning["row"]) == ("Demand", 3)
    assert warning["message"].startswith("row 3 is hidden in Excel")


def test_several_hidden_rows_are_one_warning_with_their_ranges(tmp_path):
    sheets = merge(BASE)
    sheets["Periods"] = [["period"], ["P1"], ["P2"], ["P3"], ["P4"]]
    sheets["Demand"][1:] = [["Plant", "M", f"P{t}", 5.0] for t in range(1, 5)]
    path = write_book(tmp_path / "rows.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    for row in (2, 3, 5, 9):  # row 9 is empty: nothing to say about it
        book["Demand"].row_dimensions[row].hidden = True
    book.save(path)
    warnings = [w.render() for w in load_inputs(path).warnings if "hidden" in w.message]
    assert warnings == [
        "Demand!2: rows 2-3, 5 are hidden in Excel (hidden, or filtered out) but read like "
        "the others: unhide to check, or delete what reopt should not read"
    ]


def test_rows_filtered_out_are_read_and_named(tmp_path):
    def filtered(book: openpyxl.Workbook) -> None:
        sheet = book["Demand"]
        sheet.auto_filter.ref = "A1:D3"
        sheet.row_dimensions[2].hidden = True

    path = _hidden_book(tmp_path / "filtered.xlsx", filtered)
    assert _objective(path) == pytest.approx(100)
    assert any(w.sheet == "Demand" and w.row == 2 for w in load_inputs(path).warnings)


def test_a_hidden_column_with_a_header_is_named(tmp_path):
    def hide(book: openpyxl.Workbook) -> None:
        book["Suppliers"].column_dimensions["E"].hidden = True

    path = _hidden_book(tmp_path / "column.xlsx", hide)
    [warning] = [w for w in load_inputs(path).warnings if "hidden" in w.message]
    assert warning.render() == (
        'Suppliers!E1: "unit_cost" column is hidden in Excel but read like the others: '
        "unhide it to check it, or delete it if reopt should not read it"
    )


def test_hidden_and_very_hidden_sheets_are_named(tmp_path):
    def hide(book: openpyxl.Workbook) -> None:
        book["Sites"].sheet_state = "hidden"
        book["Countries"].sheet_state = "veryHidden"

    path = _hidden_book(tmp_path / "sheets.xlsx", hide)
    assert _objective(path) == pytest.approx(100)
    hidden = {w.sheet for w in load_inputs(path).warnings if "sheet is hidden" in w.message}
    assert hidden == {"Sites", "Countries"}


def test_hidden_rows_of_a_strict_file_are_named(tmp_path):
    path = _hidden_book(tmp_path / "plain.xlsx", _hide_rows(2))
    strict_path = tmp_path / "strict.xlsx"
    strict_path.write_bytes(strict(path.read_bytes()))
    assert _objective(strict_path) == pytest.approx(100)
    assert any(w.sheet == "Demand" and w.row == 2 for w in load_inputs(strict_path).warnings)
