"""Nothing to buy is a plan: a workbook without demand solves to an empty plan, and says so.

SPEC §2: without `max` limits the model is always feasible. A model with no variable at
all is HiGHS's `Empty` status, which is optimal with the objective's constant as value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from tests.solving import solve_model
from tests.test_known_answers import BASE

NO_DEMAND = """
[Demand]
site | material | period | quantity
"""
ZERO_DEMAND = """
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 0
"""


def test_an_empty_model_is_optimal_with_its_constant():
    model = pyo.ConcreteModel()
    model.cost = pyo.Objective(expr=7.5)
    solution = solve_model(model)
    assert (solution.status, solution.objective) == ("optimal", 7.5)


@pytest.mark.parametrize("demand", [NO_DEMAND, ZERO_DEMAND], ids=["no-rows", "zero-quantity"])
def test_a_workbook_without_demand_is_a_plan_that_buys_nothing(book, tmp_path, demand):
    source = book(BASE, demand)
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(source), "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["status"], record["objective"], record["purchased_t"]) == ("optimal", 0, 0)
    assert target.is_file()
    [warning] = [w for w in record["warnings"] if w["sheet"] == "Demand"]
    assert warning["cell"] == "Demand!1" and warning["message"].startswith("no demand")


def test_validate_and_replan_say_there_is_nothing_to_buy(book, tmp_path):
    source = book(BASE, NO_DEMAND)
    validated = CliRunner().invoke(cli, ["validate", str(source)])
    assert validated.exit_code == 0 and "Demand:" in validated.stdout
    assert "no demand" in validated.stdout
    nightly = CliRunner().invoke(
        cli, ["replan", str(source), "--out-dir", str(tmp_path / "runs"), "--json"]
    )
    assert nightly.exit_code == 0, nightly.output
    record = json.loads(nightly.stdout)
    assert record["objectives"] == {"base": 0}
    assert Path(record["folder"], "plan.xlsx").is_file()
