"""The objective of SPEC §2: landed and risk cost, holding, shortage and safety penalties."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import SumExpression

from models.data import ModelData
from models.expressions import var_array, weighted_sum


def _per_point(var: pyo.Var, cost_per_t: np.ndarray) -> object:
    """Σ cost(p)·var[p, ...] for a variable indexed by stock point first."""
    points = [key[0] if isinstance(key, tuple) else key for key in var]
    return weighted_sum(cost_per_t[np.asarray(points, dtype=np.int64)], var_array(var))


def add_objective(model: pyo.ConcreteModel, data: ModelData) -> None:
    """min Σ (c + r)·x + Σ holding·I + Σ shortage·u + Σ safety·(v + q + w)."""
    unit = data.landed_cost_per_t + data.risk_cost_per_t
    terms = [
        weighted_sum(unit, var_array(model.buy)),
        _per_point(model.stock, data.holding_cost_per_t),
        _per_point(model.shortfall, data.shortage_penalty_per_t),
        *[
            _per_point(gap, data.safety_penalty_per_t)
            for gap in (model.floor_gap, model.cover_gap, model.end_gap)
            if len(gap)
        ],
    ]
    model.cost = pyo.Objective(expr=SumExpression(terms), sense=pyo.minimize)
