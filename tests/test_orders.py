"""The Orders sheet and the orders to place now on page 1 (SPEC v3 §4), on the example."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> dict[str, pd.DataFrame]:
    target = tmp_path_factory.mktemp("orders") / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return pd.read_excel(target, sheet_name=None, engine="calamine")


def test_orders_are_the_plan_sorted_by_order_by_period(sheets):
    orders, plan = sheets["Orders"], sheets["Plan"]
    assert len(orders) == len(plan)
    assert orders["quantity"].sum() == pytest.approx(plan["quantity"].sum())
    periods = list(dict.fromkeys(sheets["Stock"]["period"].astype(str)))
    rank = orders["order_by"].astype(str).map(periods.index)
    assert rank.is_monotonic_increasing
    lead = orders["delivery_period"].astype(str).map(periods.index) - rank
    assert (lead >= 0).all()
    assert orders.loc[0, "chain"]  # mined → refined → shipped, in words


def test_page_one_lists_the_orders_due_now_and_their_total(sheets):
    orders, board = sheets["Orders"], sheets["Dashboard"]
    first = str(sheets["Stock"]["period"].iloc[0])
    due = orders[orders["order_by"].astype(str) == first]
    assert len(due) > 0
    cells = board.astype(object).where(board.notna(), None).to_numpy().tolist()
    head = next(i for i, row in enumerate(cells) if str(row[0]).startswith("Orders to place now"))
    total = next(row for row in cells[head:] if row[0] == "Total")
    assert total[2] == pytest.approx(due["quantity"].sum())
    assert total[3] == pytest.approx(due["total_cost"].sum())
    listed = {(row[0], row[1]) for row in cells[head + 2 : cells.index(total)]}
    assert listed == set(zip(due["supplier"], due["material"], strict=True))
