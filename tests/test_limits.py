"""Extreme numbers are input errors naming the cell, never crashes or solver statuses.

Every number cell is finite and within its documented range (inputs/README.md, Limits),
and values that combine (demand_factor and cost_factor chains, tariff sums, capacity
factors) are checked where they combine. numpy warnings are turned into errors here,
so a run that computes with inf or nan fails these tests.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.limits import MAX_AMOUNT, MAX_DAYS, MIN_PERIOD_DAYS, limit_error
from tests.test_bad_inputs import add_row, rich, set_cell
from tests.workbooks import Sheets, write_book

HUGE = 1e308


def _solve(path: Path) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = CliRunner().invoke(
            cli, ["solve", str(path), "-o", str(path.with_name("plan.xlsx")), "--json"]
        )
    return result.exit_code, result.stdout + result.stderr


def _settings(key: str, value: object) -> Callable[[Sheets], Sheets]:
    return lambda sheets: add_row(sheets, "Settings", key=key, value=value)


def _chain(column: str, scenario_rows: int) -> Callable[[Sheets], Sheets]:
    """Scenarios s1 → s2 → … each with demand_factor 1e12 (their product overflows)."""

    def change(sheets: Sheets) -> Sheets:
        parent = "base"
        for number in range(1, scenario_rows + 1):
            add_row(sheets, "Scenarios", scenario=f"s{number}", parent=parent, **{column: 1e12})
            parent = f"s{number}"
        return set_cell(sheets, "Settings", 3, "value", parent)

    return change


CELLS = {
    "demand": (lambda s: set_cell(s, "Demand", 2, "quantity", HUGE), "Demand!D2"),
    "initial stock": (lambda s: set_cell(s, "Stock", 2, "initial", HUGE), "Stock!C2"),
    "tariff": (lambda s: set_cell(s, "Countries", 2, "tariff", HUGE), "Countries!B2"),
    "unit cost": (lambda s: set_cell(s, "Suppliers", 2, "unit_cost", HUGE), "Suppliers!F2"),
    "lead time": (lambda s: set_cell(s, "Suppliers", 2, "lead_time", 1e6), "Suppliers!G2"),
    "delay": (lambda s: set_cell(s, "Controls", 2, "delay_days", HUGE), "Controls!F2"),
    "negative extra tariff": (
        lambda s: set_cell(s, "Controls", 2, "extra_tariff", -HUGE),
        "Controls!H2",
    ),
    "denormal period_days": (_settings("period_days", 5e-324), "Settings!B4"),
    "huge period_days": (_settings("period_days", 1e9), "Settings!B4"),
}


@pytest.mark.parametrize("case", list(CELLS), ids=list(CELLS))
def test_an_extreme_cell_is_a_located_input_error(case, tmp_path):
    change, cell = CELLS[case]
    path = write_book(tmp_path / "extreme.xlsx", change(rich()))
    code, output = _solve(path)
    assert code == 2, output
    assert cell in output
    assert "see Limits" in output or "shortest period_days" in output
    assert not (tmp_path / "plan.xlsx").exists()


def test_a_demand_factor_chain_that_overflows_names_the_scenario(tmp_path):
    path = write_book(tmp_path / "chain.xlsx", _chain("demand_factor", 30)(rich()))
    code, output = _solve(path)
    assert code == 2, output
    assert "demand_factor chain" in output and "'s30'" in output
    assert json.loads(output.splitlines()[0])["exit_code"] == 2


def test_demand_times_an_in_range_factor_beyond_the_limit_is_refused(tmp_path):
    sheets = set_cell(rich(), "Demand", 2, "quantity", 1e11)
    path = write_book(tmp_path / "scaled.xlsx", _chain("demand_factor", 1)(sheets))
    code, output = _solve(path)
    assert code == 2, output
    assert "demand × demand_factor of scenario 's1'" in output
    assert "Scenarios!" in output


def test_a_cost_factor_chain_that_overflows_names_the_rule(tmp_path):
    def change(sheets: Sheets) -> Sheets:
        set_cell(sheets, "Controls", 2, "cost_factor", None)
        for item in ("*", "Dy", "Dy oxide"):
            add_row(sheets, "Controls", scenario="base", country="China", item=item,
                    end_use="commercial", cost_factor=1e12)  # fmt: skip
        return sheets

    path = write_book(tmp_path / "costs.xlsx", change(rich()))
    code, output = _solve(path)
    assert code == 2, output
    assert "landed cost per t" in output and "Controls!" in output


def test_tariff_sums_beyond_the_limit_are_refused(tmp_path):
    def change(sheets: Sheets) -> Sheets:
        set_cell(sheets, "Countries", 2, "tariff", 1e12)
        set_cell(sheets, "Suppliers", 2, "unit_cost", 1e12)
        return sheets

    path = write_book(tmp_path / "tariff.xlsx", change(rich()))
    code, output = _solve(path)
    assert code == 2, output
    assert "landed cost per t" in output and "Suppliers!" in output


def test_a_capacity_factor_that_lifts_capacity_beyond_the_limit_is_refused(tmp_path):
    def change(sheets: Sheets) -> Sheets:
        set_cell(sheets, "Suppliers", 2, "capacity", 1e12)
        add_row(sheets, "Controls", scenario="base", country="China", item="*", end_use="*",
                capacity_factor=10)  # fmt: skip
        return sheets

    code, output = _solve(write_book(tmp_path / "cap.xlsx", change(rich())))
    assert code == 2, output
    assert "the capacity (capacity × capacity_factor)" in output


def test_values_at_the_limits_still_solve(tmp_path):
    sheets = set_cell(rich(), "Suppliers", 2, "lead_time", 0)
    set_cell(sheets, "Stock", 2, "max", MAX_AMOUNT)
    set_cell(sheets, "Controls", 2, "delay_days", MAX_DAYS)
    code, output = _solve(write_book(tmp_path / "edge.xlsx", sheets))
    assert code == 0, output


def test_limit_error_wording_and_edges():
    assert limit_error("quantity", MAX_AMOUNT) is None
    assert limit_error("quantity", -MAX_AMOUNT) is None
    assert "1e+12" in str(limit_error("quantity", MAX_AMOUNT * 1.0001))
    assert "10000" in str(limit_error("lead_time", MAX_DAYS + 1))
    assert limit_error("period_days", MIN_PERIOD_DAYS) is None
    assert "shortest" in str(limit_error("period_days", MIN_PERIOD_DAYS / 2))
    assert limit_error("quantity", float("nan")) is not None
