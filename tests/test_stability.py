"""Plan stability in the nightly job (SPEC v3 §5), on a hand case with two equally
cheap suppliers: the optimum has many plans, and the night must not reshuffle them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from optimizer.plan.changes import MOVE_T
from tests.test_known_answers import BASE
from tests.test_replan import replan

KEY = ["supplier", "material", "site", "period"]


def twins(demand_p2: float = 5, cost_s: float = 10, cost_t: float = 10, cap_t: float = 100):
    """Two suppliers S (country A) and T (country B) of M; demand 5 t in P1."""
    return f"""
[Suppliers]
supplier | material | country | capacity | unit_cost
S        | M        | A       | 100      | {cost_s}
T        | M        | B       | {cap_t}  | {cost_t}
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 5
Plant | M        | P2     | {demand_p2}
"""


def night(book, out_dir: Path, text: str, *args: str) -> tuple[pd.Series, pd.DataFrame]:
    """One replan: the plan's tonnes per delivery cell, and its Changes sheet."""
    result = replan(book(BASE, text), out_dir, *args)
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    sheets = pd.read_excel(folder / "plan.xlsx", sheet_name=None, engine="calamine")
    plan = sheets["Plan"].groupby(KEY)["quantity"].sum()
    return plan, sheets["Changes"]


def moved(old: pd.Series, new: pd.Series) -> float:
    """Σ |x − x_last| over the cells of either plan."""
    both = pd.concat([old, new], axis=1).fillna(0.0)
    return float((both.iloc[:, 0] - both.iloc[:, 1]).abs().sum())


def heading(changes: pd.DataFrame, label: str) -> object:
    rows = changes[changes.iloc[:, 0] == label]
    assert len(rows) == 1, f"no {label!r} in Changes"
    return rows.iloc[0, 1]


def test_two_runs_on_the_same_input_give_identical_plans(book, tmp_path):
    out = tmp_path / "nightly"
    first, _ = night(book, out, twins())
    second, changes = night(book, out, twins())
    pd.testing.assert_series_equal(first, second)
    assert heading(changes, "tonnes kept from the last plan (t)") == pytest.approx(10)


def test_an_edit_that_changes_nothing_optimal_keeps_every_delivery(book, tmp_path):
    out = tmp_path / "nightly"
    first, _ = night(book, out, twins())
    second, changes = night(book, out, twins(cap_t=50))
    pd.testing.assert_series_equal(first, second)
    assert (changes.iloc[:, 0] == "Suppliers").any()  # the input change is listed


def _p2_supplier(plan: pd.Series) -> str:
    p2 = plan[plan.index.get_level_values("period") == "P2"]
    return str(p2.idxmax()[0])


def test_more_demand_moves_only_the_extra_tonnes(book, tmp_path):
    out = tmp_path / "nightly"
    first, _ = night(book, out, twins())
    second, changes = night(book, out, twins(demand_p2=7))
    assert moved(first, second) == pytest.approx(2, abs=1e-6)
    kept = first.index.intersection(second.index)
    assert (second[kept] >= first[kept] - 1e-9).all()
    assert heading(changes, "optimum (cheapest plan)") == pytest.approx(120)
    assert heading(changes, "objective of the stable plan") == pytest.approx(120)


def test_a_price_rise_within_the_tolerance_keeps_the_plan_and_zero_tolerance_moves_it(
    book, tmp_path
):
    out = tmp_path / "nightly"
    first, _ = night(book, out, twins())
    used = _p2_supplier(first)
    rise = {"cost_s": 10.0001} if used == "S" else {"cost_t": 10.0001}
    kept, changes = night(book, out, twins(**rise))
    pd.testing.assert_series_equal(first, kept)
    stable = heading(changes, "objective of the stable plan")
    assert heading(changes, "optimum (cheapest plan)") < stable <= 100 * (1 + 1e-4)
    fresh = tmp_path / "tight"
    night(book, fresh, twins())  # the same first plan: the model and HiGHS are deterministic
    tight, changes = night(book, fresh, twins(**rise), "--stability-tolerance", "0")
    assert tight.xs(used, level="supplier").sum() < MOVE_T  # the bound's hair for HiGHS
    assert heading(changes, "objective of the stable plan") == pytest.approx(100)
    by_supplier = changes.fillna("").astype(str).apply(" ".join, axis=1)
    assert by_supplier.str.contains("unit_cost 10 → 10.0001").any()  # the reason is named


def test_no_stability_solves_as_solve_does(book, tmp_path):
    out = tmp_path / "nightly"
    night(book, out, twins())
    _, changes = night(book, out, twins(), "--no-stability")
    assert not (changes.iloc[:, 0] == "plan stability").any()


def test_moves_below_a_thousandth_of_a_tonne_are_left_out():
    from optimizer.plan.changes import plan_changes

    old = pd.DataFrame(
        {"supplier": ["S", "T"], "material": "M", "site": "Plant", "period": "P1",
         "quantity": [5.0, 5.0], "total_cost": [50.0, 50.0]}
    )  # fmt: skip
    new = old.assign(quantity=[5.0 + MOVE_T / 2, 7.0], total_cost=[50.0, 70.0])
    table = plan_changes(old, new)
    assert table["supplier"].tolist() == ["T"]


def test_page_one_says_what_changed_since_the_last_run(book, tmp_path):
    out = tmp_path / "nightly"
    night(book, out, twins())
    result = replan(book(BASE, twins(demand_p2=7)), out)
    folder = Path(json.loads(result.stdout)["folder"])
    board = pd.read_excel(
        folder / "plan.xlsx", sheet_name="Dashboard", header=None, engine="calamine"
    )
    line = str(board.iloc[2, 0])
    assert line.startswith("Since run #1: 1 input change(s); 1 supplier and material line(s)")
    assert "2.000 t in all" in line


MORE = "[Scenarios]\nscenario | demand_factor\nmore     | 2\n"


def scenario_night(book, out_dir: Path, text: str) -> tuple[pd.Series, dict]:
    """One replan with the `more` scenario: its plan's tonnes per delivery cell in
    whatif.xlsx, and its run.json record."""
    result = replan(book(BASE, text + MORE), out_dir)
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    plan = pd.read_excel(folder / "whatif.xlsx", sheet_name="Plan", engine="calamine")
    more = plan[plan["scenario"] == "more"].groupby(KEY)["quantity"].sum()
    record = json.loads((folder / "run.json").read_text())["scenarios"]["more"]
    return more, record


def test_every_scenario_is_kept_close_to_its_own_last_plan(book, tmp_path):
    out = tmp_path / "nightly"
    first, record = scenario_night(book, out, twins())
    assert "kept_t" not in record  # the first night has no plan to keep
    second, record = scenario_night(book, out, twins())
    pd.testing.assert_series_equal(first, second)
    assert record["kept_t"] == pytest.approx(20)
    third, record = scenario_night(book, out, twins(demand_p2=7))  # `more`: P2 10 t → 14 t
    assert moved(second, third) == pytest.approx(4, abs=1e-6)
    kept = second.index.intersection(third.index)
    assert (third[kept] >= second[kept] - 1e-9).all()
    assert record["optimum"] == pytest.approx(record["objective"]) == pytest.approx(240)


def test_an_unreadable_last_whatif_book_is_a_warning_and_base_stays_stable(book, tmp_path):
    out = tmp_path / "nightly"
    scenario_night(book, out, twins())
    last = next(out.glob("*/whatif.xlsx"))
    last.write_bytes(b"not a workbook")
    result = replan(book(BASE, twins() + MORE), out)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    texts = " ".join(w["message"] for w in payload["warnings"])
    assert "whatif.xlsx could not be read" in texts
    record = json.loads((Path(payload["folder"]) / "run.json").read_text())["scenarios"]
    assert record["base"]["kept_t"] == pytest.approx(10)
    assert "kept_t" not in record["more"]
