"""The naming contract between models/ and optimizer/ (models/components.py).

optimizer reads solutions by the names in models/components.py; this test builds real
models and fails when a listed name is not created or a created one is not listed, so
a rename in models/ can never silently give empty review sheets.
"""

from __future__ import annotations

from pathlib import Path

import pyomo.core as pyo
import pytest

from models import components
from models.build import build_model
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
ROBUST_ONLY = {
    components.COMMIT, components.CVAR_LEVEL, components.CVAR_EXCESS, components.CVAR,
    components.SCENARIO_BLOCK,
}  # fmt: skip
"""Names only the robust plan's extensive form creates (SPEC §6)."""
STABLE_ONLY = {
    components.MOVED, components.RUN_MOVED, components.MOVE, components.RUN_MOVE,
    components.COST_BOUND, components.DISTANCE,
}  # fmt: skip
"""Names only the nightly job's stable model creates (SPEC §5)."""


def listed() -> set[str]:
    """Every component name models/components.py declares."""
    return {
        value
        for name, value in vars(components).items()
        if name.isupper() and isinstance(value, str)
    }


def created(model: pyo.Block) -> set[str]:
    """Names of the variables, constraints and objectives of one (block of a) model."""
    kinds = (pyo.Var, pyo.Constraint, pyo.Objective)
    return {
        component.local_name for component in model.component_objects(kinds, descend_into=False)
    }


@pytest.fixture
def example_model() -> pyo.ConcreteModel:
    inputs = load_inputs(EXAMPLE)
    return build_model(derive(inputs, resolve_scenario(inputs, "base")).data)


def test_the_example_has_every_family_of_one_scenario(example_model):
    assert created(example_model) == listed() - ROBUST_ONLY - STABLE_ONLY


def test_a_missing_name_would_be_caught(example_model):
    example_model.del_component(example_model.con_budget)
    assert created(example_model) != listed() - ROBUST_ONLY - STABLE_ONLY


def test_capacity_keys_round_trip():
    assert components.capacity_index(components.capacity_key(7, 3, 12), 12) == (7, 3)
