"""The per-sheet rule functions called on their own: explicit inputs in, frame and names out."""

from __future__ import annotations

import math

from optimizer.domain.names import Names
from optimizer.problems import Problems
from optimizer.workbook.rules.catalogue import periods_from
from optimizer.workbook.rules.common import given
from optimizer.workbook.rules.scenarios import controls_from
from optimizer.workbook.rules.site_rows import stock_from
from optimizer.workbook.rules.supply import offers_from
from optimizer.workbook.tables import Table


def table(sheet: str, header: list[str], *rows: list[object]) -> Table:
    """A typed table as `read_table` makes it: data from Excel row 2 on."""
    columns = {name: index for index, name in enumerate(header)}
    records = [
        {"_row": number, **dict(zip(header, row, strict=True))}
        for number, row in enumerate(rows, start=2)
    ]
    return Table(sheet, columns, 1, records)


def names(sheet: str, *declared: str) -> Names:
    registry = Names(sheet)
    registry.display = {name.casefold(): name for name in declared}
    return registry


def test_periods_from_returns_positions_budgets_and_reports_a_repeat():
    problems = Problems("book.xlsx")
    sheet = table("Periods", ["period", "budget"], ["P1", 5.0], ["P2", None], ["p1", 7.0])
    periods, budget = periods_from(sheet, problems)
    assert periods.labels == ("P1", "P2")
    assert periods.position == {"P1": 0, "P2": 1}
    assert budget == [5.0, None]
    [repeat] = problems.errors
    assert (repeat.row, repeat.column, repeat.value) == (4, "period", "p1")
    assert repeat.message == "is listed twice in Periods (first in row 2)"
    demand = table("Demand", ["period"], ["p2"], ["P9"])
    assert periods.index(demand, demand.rows[0], "period", problems) == 1
    assert periods.index(demand, demand.rows[1], "period", problems) is None
    assert problems.errors[-1].message.startswith("is not in Periods")


def test_stock_from_needs_no_periods_and_checks_levels_against_max():
    problems = Problems("book.xlsx")
    header = ["site", "material", "initial", "min", "max", "target_end"]
    sheet = table(
        "Stock", header, ["s", "m", 9.0, None, 4.0, 6.0], ["s", "n", None, 1.0, None, None]
    )
    stock = stock_from(sheet, names("Sites", "s"), names("Materials", "m", "n"), problems)
    assert stock.to_dict("records") == [
        {"site": "s", "material": "m", "initial": 9.0, "min": 0.0, "max": 4.0, "target_end": 6.0,
         "row": 2},
        {"site": "s", "material": "n", "initial": 0.0, "min": 1.0, "max": math.inf,
         "target_end": 0.0, "row": 3},
    ]  # fmt: skip
    [error] = problems.errors
    assert (error.column, error.message) == ("initial", "is above max 4: storage cannot hold it")
    [warning] = problems.warnings
    assert warning.column == "target_end"


def test_offers_from_declares_suppliers_and_fills_the_window():
    problems = Problems("book.xlsx")
    periods, _ = periods_from(table("Periods", ["period"], ["P1"], ["P2"], ["P3"]), problems)
    header = ["supplier", "material", "country", "capacity", "unit_cost", "available_from"]
    sheet = table("Suppliers", header, ["Acme", "nd", "cn", 10.0, 2.0, "P2"])
    offers, suppliers = offers_from(
        sheet, names("Materials", "Nd"), names("Countries", "CN"), periods, problems
    )
    assert problems.items == []
    assert suppliers.get("ACME") == "Acme"
    [offer] = offers.to_dict("records")
    assert (offer["material"], offer["country"]) == ("Nd", "CN")
    assert (offer["refined_in"], offer["mined_in"], offer["first"], offer["last"]) == (
        "CN", "CN", 1, 2
    )  # fmt: skip


def test_controls_from_reads_symbols_and_refuses_overlapping_windows():
    problems = Problems("book.xlsx")
    periods, _ = periods_from(table("Periods", ["period"], ["P1"], ["P2"], ["P3"]), problems)
    header = ["country", "item", "from_period", "to_period", "approval"]
    sheet = table("Controls", header, ["CN", "dy", None, "P2", 0.5], ["CN", "Dy", "P2", None, 0.0])
    controls = controls_from(
        sheet, names("Scenarios", "base"), names("Countries", "CN"), names("Materials"),
        names("Sites end_use"), periods, problems,
    )  # fmt: skip
    assert controls[["item", "from_t", "to_t", "approval"]].values.tolist() == [["Dy", 0, 1, 0.5]]
    [clash] = problems.errors
    assert clash.row == 3
    assert "overlapping periods (first in row 2)" in clash.message


def test_given_is_the_first_value_set():
    assert given(None, 0.0, 1.0) == 0.0
    assert given(None, None) is None
