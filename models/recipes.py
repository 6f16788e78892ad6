"""Conversion at the buyer's sites (SPEC §8): runs n[r,t], their terms in the balance and
the recipe capacity family (SPEC §2, constraint 9).

Without recipes in the data there is no run and every family below is empty, so the
model is that of SPEC §2 as before.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from models import components
from models.data import ModelData
from models.expressions import add_rows, var_array, weighted_sum


def add_runs(model: pyo.Block, data: ModelData) -> None:
    """n[u] ≥ 0 for every run u = (r, t): recipe r started in period t of its window,
    with t + ℓ_r ≤ T (its outputs arrive within the horizon)."""
    model.RUNS = pyo.Set(initialize=range(data.runs), ordered=True)
    model.run = pyo.Var(model.RUNS, domain=pyo.NonNegativeReals)


def run_flows(data: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(point, period, coefficient, run) of every term runs add to the balance:

        + out[r,m]·n[r, t − ℓ_r]  where the run's outputs arrive (t = start + ℓ_r)
        − in[r,m]·n[r, t]         where it starts (its inputs are consumed then)

    one term per (item of recipe r, run of r) with a coefficient other than 0."""
    if not data.runs or not len(data.item_recipe):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    runs = np.arange(data.runs)
    pairs = data.run_recipe[:, None] == data.item_recipe[None, :]
    run, item = np.nonzero(pairs)
    start = data.run_period[run]
    lead = data.recipe_lead[data.run_recipe[run]]
    used, made = data.item_input[item], data.item_output[item]
    produce, consume = made > 0, used > 0
    points = np.concatenate([data.item_point[item][produce], data.item_point[item][consume]])
    periods = np.concatenate([(start + lead)[produce], start[consume]])
    coefs = np.concatenate([made[produce], -used[consume]])
    return points, periods, coefs, runs[np.concatenate([run[produce], run[consume]])]


def add_recipe_capacity(model: pyo.Block, data: ModelData) -> None:
    """n[r,t] ≤ K_r  for every run of a recipe with a capacity (SPEC §2, constraint 9)."""
    runs = var_array(model.run)
    keys = np.flatnonzero(np.isfinite(data.recipe_capacity[data.run_recipe])).tolist()
    rows = [
        (None, LinearExpression([runs[u]]), float(data.recipe_capacity[data.run_recipe[u]]))
        for u in keys
    ]
    add_rows(model, components.RECIPE_CAPACITY, keys, rows)


def conversion_cost(model: pyo.Block, data: ModelData) -> object:
    """Σ F_r·n[r,t], the cost term `conversion`."""
    return weighted_sum(data.recipe_cost[data.run_recipe], var_array(model.run))
