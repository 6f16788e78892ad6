"""The objective of SPEC §2: landed and risk cost, holding, shortage and safety penalties."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from models.data import ModelData


def _per_point(var: pyo.Var, cost_per_t: np.ndarray) -> list[object]:
    """cost(p)·var[p, ...] for every member of a variable indexed by stock point first."""
    terms = []
    for index, member in var.items():
        point = index[0] if isinstance(index, tuple) else index
        if cost_per_t[point]:
            terms.append(float(cost_per_t[point]) * member)
    return terms


def add_objective(model: pyo.ConcreteModel, data: ModelData) -> None:
    """min Σ (c + r)·x + Σ holding·I + Σ shortage·u + Σ safety·(v + q + w)."""
    unit = data.landed_cost_per_t + data.risk_cost_per_t
    terms = [float(unit[i]) * model.buy[i] for i in np.flatnonzero(unit).tolist()]
    terms += _per_point(model.stock, data.holding_cost_per_t)
    terms += _per_point(model.shortfall, data.shortage_penalty_per_t)
    for gap in (model.floor_gap, model.cover_gap, model.end_gap):
        terms += _per_point(gap, data.safety_penalty_per_t)
    model.cost = pyo.Objective(expr=pyo.quicksum(terms), sense=pyo.minimize)
