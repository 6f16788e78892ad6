"""The independent plan checks catch tampered plans (so a passing check means something)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.scenarios import resolve_scenario
from optimizer.plan import checks
from tests.test_known_answers import BASE, WORKED_EXAMPLE

CHECKED = """
[Periods]
period | budget
P1     | 1000
P2     |
[Countries]
country | covered | max_share
A       | yes     | 0.9
B       | no      |
[Sites]
site  | end_use
Plant | commercial
Base  | defense
[Suppliers]
supplier | material | country | capacity | unit_cost | available_to
S        | M        | A       | 6        | 10        |
T        | M        | B       | 100      | 20        | P1
[Lanes]
supplier | site  | allowed
S        | Base  | no
[Stock]
site  | material | max
Plant | M        | 50
"""


@pytest.fixture
def solved(solve_text):
    run = solve_text(BASE, CHECKED)
    inputs = run.instance.inputs
    assert checks.check_plan(inputs, resolve_scenario(inputs, "base"), run.tables) == []
    return run


def tampered(run, **changes):
    return dataclasses.replace(run.tables, **changes)


def violations(run, tables):
    inputs = run.instance.inputs
    return checks.check_plan(inputs, resolve_scenario(inputs, "base"), tables)


def test_capacity_violation_is_found(solved):
    plan = solved.tables.plan.copy()
    plan.loc[plan["supplier"] == "S", "quantity"] += 100
    found = violations(solved, tampered(solved, plan=plan))
    assert any(text.startswith("capacity: S / M") for text in found)
    assert any(text.startswith("receipts:") for text in found)


def test_balance_violation_is_found(solved):
    stock = solved.tables.stock.copy()
    stock.loc[0, "closing"] += 3
    found = violations(solved, tampered(solved, stock=stock))
    assert any(text.startswith("balance:") for text in found)


def test_shortfall_above_demand_is_found(solved):
    """SPEC v3 §2: u ≤ d. A plan that 'buys' stock with unmet demand balances but fails."""
    stock = solved.tables.stock.copy()
    extra = stock.loc[0, "demand"] + 4
    stock.loc[0, ["closing", "shortfall"]] = [stock.loc[0, "closing"] + extra,
                                              stock.loc[0, "shortfall"] + extra]  # fmt: skip
    stock.loc[1, "opening"] = stock.loc[0, "closing"]
    found = violations(solved, tampered(solved, stock=stock))
    assert any(text.startswith("shortfall:") for text in found), found


def test_storage_violation_is_found(solved):
    stock = solved.tables.stock.copy()
    stock.loc[0, ["closing", "shortfall"]] = [80, stock.loc[0, "shortfall"] + 80]
    found = violations(solved, tampered(solved, stock=stock))
    assert any(text.startswith("storage:") for text in found)


def test_forbidden_deliveries_are_found(solved):
    plan = solved.tables.plan.copy()
    extra = plan.iloc[[0]].assign(supplier="S", site="Base", period="P2", country="A")
    late = plan.iloc[[0]].assign(supplier="T", period="P2", country="B")
    found = violations(solved, tampered(solved, plan=pd.concat([plan, extra, late])))
    assert any(text.startswith("lanes: S / M → Base") for text in found)
    assert any(text.startswith("defense: S / M → Base") for text in found)
    assert any(text.startswith("window: T / M") for text in found)


def test_budget_share_and_cost_violations_are_found(solved):
    plan = solved.tables.plan.copy()
    plan["total_cost"] *= 100
    summary = dataclasses.replace(
        solved.tables.summary, purchase=solved.tables.summary.purchase + 1
    )
    found = violations(solved, tampered(solved, plan=plan, summary=summary))
    assert any(text.startswith("budget: P1") for text in found)
    assert any(text.startswith("costs:") for text in found)
    plan = solved.tables.plan.copy()
    plan.loc[plan["supplier"] == "T", "quantity"] = 0.0
    assert any(
        text.startswith("share:") for text in violations(solved, tampered(solved, plan=plan))
    )


def test_a_plan_that_fails_its_check_is_never_written(monkeypatch, book, tmp_path):
    import optimizer.pipeline

    def broken(tables_function):
        def wrapper(*args):
            tables = tables_function(*args)
            plan = tables.plan.copy()
            plan["quantity"] += 1000
            return dataclasses.replace(tables, plan=plan)

        return wrapper

    monkeypatch.setattr(optimizer.pipeline, "plan_tables", broken(optimizer.pipeline.plan_tables))
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(book(BASE, CHECKED)), "-o", str(target)])
    assert result.exit_code == 1
    assert "failed its independent check and was not written" in result.stderr
    assert "capacity: S / M" in result.stderr
    assert not target.exists()


@pytest.fixture
def licensed(solve_text):
    """SPEC §2's worked example: China's Tb licence, approval 0.6, cover and risk costs."""
    run = solve_text(WORKED_EXAMPLE)
    assert violations(run, run.tables) == []
    return run


def test_a_wrong_risk_cost_is_found(licensed):
    plan = licensed.tables.plan.copy()
    plan["risk_cost"] *= 0.5
    found = violations(licensed, tampered(licensed, plan=plan))
    assert any(text.startswith("risk cost: CN / Tb oxide") for text in found)


def test_licence_cover_beyond_opening_stock_and_gap_is_found(licensed):
    stock = licensed.tables.stock.copy()
    assert stock.loc[0, "cover_gap"] > 0  # January: no opening stock, cover by the gap
    stock.loc[0, "cover_gap"] = 0.0
    found = violations(licensed, tampered(licensed, stock=stock))
    assert any("expected denied exceed opening stock" in text for text in found)
