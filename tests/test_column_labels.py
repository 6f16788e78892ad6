"""Header labels and number formats come from the column specification (issue 27).

Each header cell keeps its SPEC §4 key as its value (what scripts read) and shows the
label in plain words with its unit through a text number format; values carry the
format of their unit: tonnes to the kg, money to the cent, shares as %, counts whole.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.report.columns import spec_of

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"

SHOWN = {
    ("Plan", "quantity"): ("Quantity (t)", "#,##0.000"),
    ("Plan", "landed_cost"): ("Landed cost (USD/t)", "#,##0.00"),
    ("Plan", "total_cost"): ("Total cost (USD)", "#,##0.00"),
    ("Plan", "approval"): ("Expected licence approval (%)", "0.0%"),
    ("Plan", "refined_in"): ("Refined in", None),
    ("Stock", "closing"): ("Closing stock (t)", "#,##0.000"),
    ("Mix", "share"): ("Share of the material's tonnes (%)", "0.0%"),
}


def _shown(cell: openpyxl.cell.Cell) -> str:
    """What a header cell shows: the literal of its text number format, else its value."""
    code = cell.number_format
    if code.startswith(';;;"'):
        return code[4:-1]
    return str(cell.value)


@pytest.fixture(scope="module")
def plan_book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    target = tmp_path_factory.mktemp("labels") / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(target)


@pytest.mark.parametrize(("sheet", "key"), sorted(SHOWN))
def test_header_keeps_its_key_and_shows_its_label(
    plan_book: openpyxl.Workbook, sheet: str, key: str
) -> None:
    header = {cell.value: cell for cell in plan_book[sheet][1]}
    label, number_format = SHOWN[(sheet, key)]
    assert _shown(header[key]) == label
    if number_format is not None:
        column = header[key].column
        values = [row[column - 1] for row in plan_book[sheet].iter_rows(min_row=2)]
        assert values and {cell.number_format for cell in values} == {number_format}


def test_every_header_of_the_plan_is_in_plain_words(plan_book: openpyxl.Workbook) -> None:
    for sheet in plan_book.worksheets:
        if sheet.title in ("Dashboard", "Chart data"):
            continue
        for cell in sheet[1]:
            if isinstance(cell.value, str):
                assert "_" not in _shown(cell), (sheet.title, cell.value)


def test_summary_metrics_are_labelled_with_units_and_stay_pairs(
    plan_book: openpyxl.Workbook,
) -> None:
    rows = list(plan_book["Summary"].iter_rows(values_only=True))
    assert all(len(row) == 2 for row in rows)  # SPEC §4: metric, value
    cells = {row[0].value: row[0] for row in plan_book["Summary"].iter_rows(min_row=2)}
    assert _shown(cells["objective"]) == "Objective, cash + modelled (USD)"
    assert _shown(cells["shortfall_t"]) == "Shortfall (t)"
    assert _shown(cells["licensed_share"]) == "Share bought under licence (%)"


def test_unlisted_keys_are_labelled_from_their_names() -> None:
    assert spec_of("bought_t").header("EUR") == "Bought (t)"
    assert spec_of("freight_per_t").header("EUR") == "Freight (EUR/t)"
    assert spec_of("Dy oxide: shipped share").header("EUR") == "Dy oxide: shipped share (%)"
    assert spec_of("suppliers_used").kind == "int"
    assert spec_of("landed_cost").header("EUR") == "Landed cost (EUR/t)"


def test_the_licensed_element_view_says_what_its_tonnes_add_up_to(
    plan_book: openpyxl.Workbook,
) -> None:
    exposure = list(plan_book["Exposure"].iter_rows(values_only=True))
    column = exposure[0].index("licensed_t")
    bought = sum(row[column] for row in exposure[1:])
    licensed = list(plan_book["Licensed"].iter_rows(values_only=True))
    by_element = sum(row[licensed[0].index("licensed_t")] for row in licensed[1:])
    assert by_element > bought > 0  # a magnet counts under each of its elements
    assert f"{bought:,.1f} t bought under licence" in plan_book["Licensed"].oddHeader.left.text
