"""Plan stability (SPEC v3 §5): among plans within a tolerance of the optimum, the one
closest to the last run's plan.

The stable model is the scenario's model with its cost bounded and a distance to the
last plan minimised instead; it has no data of its own but the last plan's deliveries
and runs (aligned with the model's), and the bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from models import components
from models.expressions import add_rows, minus, unit_sum, var_array


@dataclass(frozen=True)
class StabilityData:
    """The last plan as the model's arrays, and the cost the stable plan may reach."""

    last_buy_t: np.ndarray
    """x_last[i] for every delivery i of the model (0 where the last plan had none)"""
    last_runs: np.ndarray
    """n_last[u] for every run u of the model"""
    cost_bound: float
    """(1 + tolerance) × the optimum, as SPEC §5 states it"""
    cost_weight: float
    """w of the distance's tie-break: among equally close plans, the cheapest (small
    enough that a tonne moved weighs more than what it saves on its own delivery)"""


def _deviation_rows(moved: np.ndarray, values: np.ndarray, last: np.ndarray) -> list:
    """Rows e ≥ v − v_last and e ≥ v_last − v, keyed 2i and 2i + 1."""
    rows = []
    for i, (e, v) in enumerate(zip(moved.tolist(), values.tolist(), strict=True)):
        rows.append((-float(last[i]), LinearExpression([e, minus(v)]), None))
        rows.append((float(last[i]), LinearExpression([e, v]), None))
    return rows


def add_moves(model: pyo.Block, stability: StabilityData) -> None:
    """e[i] ≥ |x[i] − x_last[i]| for every delivery i, and g[u] ≥ |n[u] − n_last[u]| for
    every run u (two rows each: e ≥ x − x_last, e + x ≥ x_last)."""
    for name, var, index, values, last in (
        (components.MOVE, components.MOVED, model.DELIVERIES, model.buy, stability.last_buy_t),
        (components.RUN_MOVE, components.RUN_MOVED, model.RUNS, model.run, stability.last_runs),
    ):
        model.add_component(var, pyo.Var(index, domain=pyo.NonNegativeReals))
        moved = model.component(var)
        rows = _deviation_rows(var_array(moved), var_array(values), last)
        add_rows(model, name, list(range(len(rows))), rows)


def add_cost_bound(model: pyo.Block, cost: object, stability: StabilityData) -> None:
    """the scenario's cost (SPEC §2) ≤ (1 + tolerance) × its optimum."""
    model.add_component(
        components.COST_BOUND, pyo.Constraint(expr=(None, cost, stability.cost_bound))
    )


def add_distance(model: pyo.Block, cost: object, stability: StabilityData) -> None:
    """min Σ_i e[i] + Σ_u g[u] + w·cost: the distance to the last plan (a last cell no
    longer in the model adds its constant x_last, which changes no choice), the cost
    breaking ties between equally close plans (stock, gaps and shortfall they leave free)."""
    terms = [
        *var_array(model.component(components.MOVED)).tolist(),
        *var_array(model.component(components.RUN_MOVED)).tolist(),
    ]
    distance = unit_sum(terms) + stability.cost_weight * cost
    model.add_component(components.DISTANCE, pyo.Objective(expr=distance))
