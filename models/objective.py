"""The objective of SPEC §2: landed and risk cost, holding, shortage and safety penalties,
less the salvage value of the stock left at the end, plus onboarding, conversion and
take-or-pay."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import SumExpression

from models.changes import delivery_cost
from models.contracts import take_or_pay_cost
from models.data import ModelData
from models.expressions import delivery_terms, var_array, weighted_sum
from models.integer import fixed_cost_term, onboarding
from models.recipes import conversion_cost
from models.stock import stock_grid


def _per_point(var: pyo.Var, cost_per_t: np.ndarray) -> object:
    """Σ cost(p)·var[p, ...] for a variable indexed by stock point first."""
    points = [key[0] if isinstance(key, tuple) else key for key in var]
    return weighted_sum(cost_per_t[np.asarray(points, dtype=np.int64)], var_array(var))


def scenario_cost(model: pyo.Block, data: ModelData, buy: np.ndarray | None = None) -> object:
    """Σ (c + r)·x + Σ holding·I + Σ shortage·u + Σ safety·(v + q + w) − Σ salvage·I[T]
    + Σ F_o·z[o] + Σ F_r·n[r,t] + Σ take_or_pay_price·g[k].

    `buy` replaces the deliveries x (the robust plan's a·y for committed periods).
    """
    terms = [
        weighted_sum(delivery_cost(data), delivery_terms(model, buy)),
        _per_point(model.stock, data.holding_cost_per_t),
        _per_point(model.shortfall, data.shortage_penalty_per_t),
        *[
            _per_point(gap, data.safety_penalty_per_t)
            for gap in (model.floor_gap, model.cover_gap, model.end_gap)
            if len(gap)
        ],
        weighted_sum(-data.salvage_value_per_t, stock_grid(model, data)[:, -1]),
        *([fixed_cost_term(model, data)] if onboarding(model) else []),
        conversion_cost(model, data),
        take_or_pay_cost(model, data),
    ]
    return SumExpression(terms)


def add_objective(model: pyo.ConcreteModel, data: ModelData) -> None:
    """min the scenario's cost (`scenario_cost`)."""
    model.cost = pyo.Objective(expr=scenario_cost(model, data), sense=pyo.minimize)
