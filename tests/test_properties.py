"""Properties on generated workbooks: plans are valid, and tighter limits never help."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.plan.checks import check_balance, check_capacity, check_plan
from optimizer.plan.summary import COST_TERMS
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.generated import with_tighter_rule, workbooks
from tests.workbooks import Sheets, write_book

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solve_sheets(sheets: Sheets, scenario: str = "base"):
    with tempfile.TemporaryDirectory() as folder:
        inputs = load_inputs(write_book(Path(folder) / "generated.xlsx", sheets))
        scenario_data = resolve_scenario(inputs, scenario)
        return inputs, scenario_data, solve_scenario(inputs, scenario_data, SolveOptions())


def no_worse(tight: float, loose: float) -> bool:
    return tight >= loose - 1e-7 * max(1.0, abs(loose))


@PROPERTY
@given(workbooks())
def test_every_plan_satisfies_capacity_and_balance(sheets):
    inputs, scenario, run = solve_sheets(sheets)
    tables = run.tables
    assert check_capacity(inputs, scenario, tables) == []
    assert check_balance(inputs, scenario, tables) == []
    assert check_plan(inputs, scenario, tables) == []


@PROPERTY
@given(workbooks())
def test_cost_terms_add_up_to_the_objective(sheets):
    _, _, run = solve_sheets(sheets)
    total = sum(run.tables.summary.measure(term) for term in COST_TERMS)
    assert total == pytest.approx(run.tables.objective, rel=1e-7, abs=1e-6)


@PROPERTY
@given(workbooks(), st.data())
def test_lower_approval_never_lowers_the_objective(sheets, data):
    country = data.draw(st.sampled_from([row[0] for row in sheets["Countries"][1:]]))
    material = data.draw(st.sampled_from([row[0] for row in sheets["Materials"][1:]]))
    approval = data.draw(st.sampled_from([0.0, 0.3, 0.8]))
    tightened = with_tighter_rule(sheets, country, material, "approval", approval)
    _, _, base = solve_sheets(tightened, "base")
    _, _, tight = solve_sheets(tightened, "tight")
    assert no_worse(tight.tables.objective, base.tables.objective)


@PROPERTY
@given(workbooks(), st.data())
def test_lower_capacity_factor_never_lowers_the_objective(sheets, data):
    country = data.draw(st.sampled_from([row[0] for row in sheets["Countries"][1:]]))
    material = data.draw(st.sampled_from([row[0] for row in sheets["Materials"][1:]]))
    factor = data.draw(st.sampled_from([0.0, 0.5]))
    tightened = with_tighter_rule(sheets, country, material, "capacity_factor", factor)
    _, _, base = solve_sheets(tightened, "base")
    _, _, tight = solve_sheets(tightened, "tight")
    assert no_worse(tight.tables.objective, base.tables.objective)


@PROPERTY
@given(workbooks(), st.sampled_from([0.0, 0.5, 0.9]))
def test_lower_budget_never_lowers_the_objective(sheets, factor):
    _, _, loose = solve_sheets(sheets)
    periods = [sheets["Periods"][0]] + [
        [label, (budget if budget is not None else 1000.0) * factor]
        for label, budget in sheets["Periods"][1:]
    ]
    _, _, tight = solve_sheets({**sheets, "Periods": periods})
    assert no_worse(tight.tables.objective, loose.tables.objective)


@PROPERTY
@given(workbooks(storage=True))
def test_plans_with_storage_limits_respect_them(sheets):
    from optimizer.problems import NoPlanError

    try:
        inputs, scenario, run = solve_sheets(sheets)
    except NoPlanError as failure:
        assert failure.explanation
        return
    assert check_balance(inputs, scenario, run.tables) == []
