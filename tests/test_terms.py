"""The commercial terms of SPEC v3 through `reopt`: price schedules (Prices), take-or-pay
(Suppliers.min_total), a site's storage (Sites.storage) and China's 0.1 % content rule
(Suppliers.origin_content, Controls.min_content).

The hand cases are the workbooks of tests/test_reference_v3.py, whose optima are computed
there by hand; here `reopt` must reach the same optima, and say what they mean (Contracts,
Stock, Limits, Savings, Licensed). Twenty random workbooks with all four terms must agree
with the independent reference of tests/reference_lp.py in every scenario."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.generated import terms_workbook
from tests.reference_lp import reference_objective
from tests.test_reference_v3 import (
    PLANT,
    PRICE_STEP,
    PRICES,
    SHARED_STORAGE,
    TAKE_OR_PAY,
    VALUE_SHARE,
    book,
)
from tests.workbooks import write_book


def solved(path, scenario: str = "base"):
    inputs = load_inputs(path)
    return solve_scenario(inputs, resolve_scenario(inputs, scenario), SolveOptions()).tables


def test_a_price_step_moves_the_purchase_a_period_earlier(tmp_path):
    flat = solved(book(tmp_path, PLANT, PRICE_STEP))
    assert flat.objective == pytest.approx(1320)
    assert flat.plan["period"].tolist() == ["2027-02"]
    step = solved(book(tmp_path, PLANT, PRICE_STEP, PRICES))
    assert step.objective == pytest.approx(1370)
    assert step.plan[["period", "quantity", "landed_cost"]].values.tolist() == [
        ["2027-01", pytest.approx(10), pytest.approx(132)]
    ]
    assert (step.summary.purchase, step.summary.tariff, step.summary.holding) == pytest.approx(
        (1200, 120, 50)
    )


def test_the_plan_shows_the_period_price_in_its_landed_cost(tmp_path):
    """With the step and no holding cost, February's row is landed at 150·1.2·1.1."""
    path = book(tmp_path, PLANT, PRICE_STEP.replace("X        | 5", "X        | 1000"), PRICES)
    tables = solved(path)
    assert tables.plan[["period", "landed_cost"]].values.tolist() == [
        ["2027-02", pytest.approx(198)]
    ]


@pytest.mark.parametrize(
    ("price", "scenario", "objective", "owed", "taken", "unpaid", "excused"),
    [
        ("", "base", 1180, 6, 6, 0, 0),  # taken: 6·130 + 4·100
        ("20", "base", 1120, 6, 0, 6, 0),  # paid: 10·100 + 6·20
        ("20", "ban", 1000, 0, 0, 0, 6),  # excused by the ban
        ("20", "cut", 1100, 5, 0, 5, 1),  # cap 5 < 6: owes 5, paid at 20
        ("", "cut", 1150, 5, 5, 0, 1),  # 5·130 + 5·100
    ],
)
def test_take_or_pay_taken_paid_or_excused(
    tmp_path, price, scenario, objective, owed, taken, unpaid, excused
):
    tables = solved(book(tmp_path, PLANT, TAKE_OR_PAY.format(price=price)), scenario)
    assert tables.objective == pytest.approx(objective)
    row = tables.contracts.set_index("supplier").loc["TOP"]
    assert (row["committed_t"], row["owed_t"], row["taken_t"]) == pytest.approx((6, owed, taken))
    assert (row["not_taken_t"], row["excused_t"]) == pytest.approx((unpaid, excused))
    assert tables.summary.take_or_pay == pytest.approx(row["paid_for_nothing"])
    assert tables.summary.cash_spend == pytest.approx(tables.objective)
    words = " ".join(w.message for w in tables.warnings)
    assert ("not taken and cost" in words) == (unpaid > 0)
    assert ("are excused" in words) == (excused > 0)


def test_a_binding_take_or_pay_is_a_limit_with_an_exact_saving(tmp_path):
    """Paying 20 for each of 6 t not taken: one tonne less owed saves 20, and 10 % less
    (0.6 t) saves 12 on a re-solve."""
    tables = solved(book(tmp_path, PLANT, TAKE_OR_PAY.format(price="20")))
    limit = tables.limits.set_index("limit").loc["take-or-pay volume"]
    assert (limit["subject"], limit["saving_per_unit"]) == ("TOP / X", pytest.approx(20))
    saving = tables.savings.set_index("limit").loc["take-or-pay volume"]
    assert saving["saving"] == pytest.approx(12)


def test_a_site_storage_limit_is_shared_by_its_materials(tmp_path):
    tables = solved(book(tmp_path, PLANT, SHARED_STORAGE))
    assert tables.objective == pytest.approx(2550)
    early = tables.plan[tables.plan["period"] == "2027-01"]
    assert early[["supplier", "quantity"]].values.tolist() == [["SX", pytest.approx(5)]]
    january = tables.stock[tables.stock["period"] == "2027-01"]
    assert january["site_storage"].tolist() == [8, 8]
    assert january["site_stock"].tolist() == pytest.approx([8, 8])
    limit = tables.limits.set_index("limit").loc["site storage"]
    assert (limit["subject"], limit["period"]) == ("Plant", "2027-01")
    assert limit["saving_per_unit"] == pytest.approx(100)  # one more t: X bought early
    free = SHARED_STORAGE.replace("Plant | 8", "Plant |")
    assert solved(book(tmp_path, PLANT, free)).objective == pytest.approx(1700)


@pytest.mark.parametrize(
    ("share", "scenario", "objective", "matched"),
    [
        ("0.003", "base", 1100, True),
        ("0.003", "ban", 1200, False),  # VN banned: JP delivers
        ("0.001", "ban", 1200, False),
        ("0.0005", "base", 1000, False),  # below the threshold
        ("0.0005", "ban", 1000, False),
        ("0.03", "chain-only", 1000, False),
    ],
)
def test_the_value_share_rule_matches_by_declared_content(
    tmp_path, share, scenario, objective, matched
):
    tables = solved(book(tmp_path, PLANT, VALUE_SHARE.format(share=share)), scenario)
    assert tables.objective == pytest.approx(objective)
    reached = tables.exposure.set_index("material")["content_rule_t"]
    assert reached.get("magnet", 0.0) == pytest.approx(10 if matched else 0)


def test_the_licensed_sheet_names_the_content_rule(tmp_path):
    """A rule with approval < 1 reached through declared content is a licence matched by
    China's 0.1 % content rule, not by the chain."""
    licensing = VALUE_SHARE.replace(
        "base       | China   | *    | *       |          | 0.1          | 0.001",
        "base       | China   | *    | *       | 0.9      |              | 0.001",
    ).format(share="0.03")
    tables = solved(book(tmp_path, PLANT, licensing))
    assert tables.licensed_by["matched_by"].unique().tolist() == [
        "matched by China's 0.1 % content rule"
    ]


@pytest.mark.parametrize("seed", range(20))
def test_solve_equals_the_independent_reference_on_terms_workbooks(tmp_path, seed):
    path = write_book(tmp_path / f"terms{seed}.xlsx", terms_workbook(seed))
    for scenario in ("base", "ban", "later"):
        expected = reference_objective(path, scenario)
        got = CliRunner().invoke(cli, ["solve", str(path), "--scenario", scenario, "--json",
                                       "-o", str(tmp_path / "plan.xlsx")])  # fmt: skip
        assert got.exit_code == 0, got.output
        record = json.loads(got.stdout)
        assert record["objective"] == pytest.approx(expected, rel=1e-6, abs=1e-6), scenario
        assert "take_or_pay" in record


def test_the_terms_workbooks_use_every_term(tmp_path):
    """The comparison means something: across the seeds, take-or-pay is paid and excused,
    the content rule reaches, and the site storage binds."""
    seen = set()
    for seed in range(20):
        path = write_book(tmp_path / f"terms{seed}.xlsx", terms_workbook(seed))
        inputs = load_inputs(path)
        for scenario in ("base", "ban"):
            tables = solve_scenario(inputs, resolve_scenario(inputs, scenario), SolveOptions())
            tables = tables.tables
            seen.add("paid") if tables.summary.take_or_pay > 0 else None
            seen.add("excused") if (tables.contracts["excused_t"] > 0).any() else None
            seen.add("content") if tables.exposure["content_rule_t"].sum() > 0 else None
            seen.add("storage") if "site storage" in set(tables.limits["limit"]) else None
    assert seen == {"paid", "excused", "content", "storage"}


def test_the_plan_workbook_has_a_contracts_sheet(tmp_path):
    path = book(tmp_path, PLANT, TAKE_OR_PAY.format(price="20"))
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["take_or_pay"] == pytest.approx(120)
    contracts = pd.read_excel(target, sheet_name="Contracts", engine="calamine")
    assert contracts[
        ["supplier", "committed_t", "not_taken_t", "paid_for_nothing"]
    ].values.tolist() == [["TOP", 6, 6, 120]]
    summary = dict(openpyxl.load_workbook(target)["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["take_or_pay"] == pytest.approx(120)


SUPPLY = """
[Periods]
period
2027-01
2027-02
[Materials]
material
X
[Countries]
country
A
B
[Sites]
site  | storage
Plant | 20
[Suppliers]
supplier | material | country | capacity | unit_cost | origin_content | min_total
S        | X        | A       | 10       | 100       | B 0.2          |
[Demand]
site  | material | period  | quantity
Plant | X        | 2027-02 | 10
"""


@pytest.mark.parametrize(
    ("text", "sheet", "row", "column", "words"),
    [
        ("[Prices]\nsupplier | material | period | unit_cost\nT | X | 2027-01 | 5",
         "Prices", 2, "supplier", "is not in Suppliers"),
        ("[Prices]\nsupplier | material | period | unit_cost\nS | X | 2029-01 | 5",
         "Prices", 2, "period", "is not in Periods"),
        ("[Materials]\nmaterial\nX\nY\n[Prices]\nsupplier | material | period | unit_cost\n"
         "S | Y | 2027-01 | 5", "Prices", 2, "material", "S has no offer of Y"),
        ("[Prices]\nsupplier | material | period | unit_cost\nS | X | 2027-01 | 5\n"
         "S | X | 2027-01 | 6", "Prices", 3, "period", "repeats the price of S / X in 2027-01"),
        ("[Prices]\nsupplier | material | period | unit_cost\nS | X | 2027-01 | -5",
         "Prices", 2, "unit_cost", "must be"),
        ("[Suppliers]\nsupplier | material | country | capacity | unit_cost | origin_content\n"
         "S | X | A | 10 | 100 | Atlantis 0.2", "Suppliers", 2, "origin_content",
         "names the country 'Atlantis'"),
        ("[Suppliers]\nsupplier | material | country | capacity | unit_cost | origin_content\n"
         "S | X | A | 10 | 100 | B 0.7, A 0.6", "Suppliers", 2, "origin_content",
         "more than 1"),
        ("[Controls]\ncountry | min_content\nB | 1.5", "Controls", 2, "min_content", "must be"),
        ("[Stock]\nsite | material | initial\nPlant | X | 25", "Sites", 2, "storage",
         "is below the initial stock of Plant (25 t"),
    ],
)  # fmt: skip
def test_every_error_names_its_sheet_row_and_column(tmp_path, text, sheet, row, column, words):
    path = book(tmp_path, SUPPLY, text)
    result = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert result.exit_code == 2, result.output
    record = json.loads(result.stdout)
    found = [e for e in record["errors"] if words in e["message"]]
    assert found, record["errors"]
    assert (found[0]["sheet"], found[0]["row"], found[0]["column"]) == (sheet, row, column)


def test_a_take_or_pay_volume_beyond_the_offer_is_a_warning_with_its_numbers(tmp_path):
    text = ("[Suppliers]\nsupplier | material | country | capacity | unit_cost | min_total\n"
            "S | X | A | 10 | 100 | 35")  # fmt: skip
    inputs = load_inputs(book(tmp_path, SUPPLY, text))
    (warning,) = [w for w in inputs.warnings if w.column == "min_total"]
    assert (warning.sheet, warning.row) == ("Suppliers", 2)
    assert "10 t a period × 2 period(s) = 20 t" in warning.message
    assert "at least 15 t is paid for without being delivered" in warning.message


def test_robust_reports_each_scenario_s_take_or_pay_gap_and_excused_volume(tmp_path):
    """A random §6 workbook whose take-or-pay offer is excused in part in `squeeze` (its
    capacity cut): --json and the Scenarios sheet carry each scenario's t not taken and
    excused, equal to the scenario's Contracts rows."""
    import numpy as np

    from tests.reference_robust import random_sheets

    path = write_book(tmp_path / "robust-terms.xlsx", random_sheets(np.random.default_rng(0)))
    target = tmp_path / "robust.xlsx"
    result = CliRunner().invoke(cli, ["robust", str(path), "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    scenarios = json.loads(result.stdout)["scenarios"]
    contracts = pd.read_excel(target, sheet_name="Contracts", engine="calamine")
    for name, record in scenarios.items():
        mine = contracts[contracts["scenario"] == name]
        assert record["take_or_pay_not_taken_t"] == pytest.approx(mine["not_taken_t"].sum())
        assert record["take_or_pay_excused_t"] == pytest.approx(mine["excused_t"].sum())
    assert scenarios["squeeze"]["take_or_pay_excused_t"] == pytest.approx(1)
    table = pd.read_excel(target, sheet_name="Scenarios", engine="calamine")
    assert table["take_or_pay_not_taken_t"].tolist() == pytest.approx(
        [scenarios[name]["take_or_pay_not_taken_t"] for name in table["scenario"]]
    )


def test_a_nightly_run_names_each_changed_term(tmp_path):
    """Changes lists a new price, a new storage limit and a new declaration by name."""
    from optimizer.plan.changes import input_changes

    before = load_inputs(book(tmp_path, PLANT, SHARED_STORAGE))
    edited = SHARED_STORAGE.replace("SY       | Y        | 2027-02 | 150", "SY | Y | 2027-02 | 160")
    edited = edited.replace("Plant | 8", "Plant | 9")
    after = load_inputs(book(tmp_path, PLANT, edited))
    changes = input_changes(before, after)
    assert changes[["input", "field", "old", "new"]].values.tolist() == [
        ["Prices", "unit_cost", 150.0, 160.0],
        ["Sites", "storage", 8.0, 9.0],
    ]


def test_a_shortfall_is_explained_at_the_period_price(tmp_path):
    """Both months' scheduled price 1,000 (landed 1,000·1.2·1.1 = 1,320 with the cost
    factor and tariff) is above the shortage penalty of 1,000: the Shortfalls sheet
    compares the penalty with that price, not with the offer's unit_cost of 100."""
    prices = "[Prices]\nsupplier | material | period | unit_cost\nS | X | 2027-01 | 1000\n"
    tables = solved(book(tmp_path, PLANT, PRICE_STEP, prices + "S | X | 2027-02 | 1000"))
    assert tables.summary.shortfall_t == pytest.approx(10)
    (explanation,) = tables.shortfalls["explanation"]
    assert "falling short costs 1,000.00 per t, less than buying from S at 1,320.00 per t" in (
        explanation
    )
    assert "S: 100.000 t spare at 1,320.00 per t" in explanation
