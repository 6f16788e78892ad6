"""Stock, shortfall and the stock families (SPEC §2, constraints 1, 3, 4 and 5)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from models.data import ModelData
from models.grouping import group_positions


def add_stock(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Stock I[p,t] ≥ 0 and shortfall u[p,t] ≥ 0 for every stock point and period."""
    model.POINTS = pyo.Set(initialize=range(data.points), ordered=True)
    model.PERIODS = pyo.Set(initialize=range(data.periods), ordered=True)
    model.stock = pyo.Var(model.POINTS, model.PERIODS, domain=pyo.NonNegativeReals)
    model.shortfall = pyo.Var(model.POINTS, model.PERIODS, domain=pyo.NonNegativeReals)


def add_balance(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,t−1] + Σ_o x[o,s,t] + P[p,t] + u[p,t] = d[p,t] + I[p,t], with I[p,−1] = initial."""
    groups = group_positions(data.point * data.periods + data.period)
    empty: list[int] = []

    def rule(m: pyo.ConcreteModel, p: int, t: int) -> object:
        receipts = groups.get(p * data.periods + t)
        bought = sum(m.buy[i] for i in (receipts.tolist() if receipts is not None else empty))
        opening = m.stock[p, t - 1] if t > 0 else float(data.initial_t[p])
        inflow = float(data.pipeline_t[p, t]) - float(data.demand_t[p, t])
        return opening + bought + m.shortfall[p, t] - m.stock[p, t] == -inflow

    model.con_balance = pyo.Constraint(model.POINTS, model.PERIODS, rule=rule)


def add_stock_floor(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,t] + v[p,t] ≥ min(p), with the floor gap v ≥ 0, where min(p) > 0."""
    model.FLOOR_POINTS = pyo.Set(initialize=np.flatnonzero(data.min_t > 0).tolist())
    model.floor_gap = pyo.Var(model.FLOOR_POINTS, model.PERIODS, domain=pyo.NonNegativeReals)
    model.con_floor = pyo.Constraint(
        model.FLOOR_POINTS,
        model.PERIODS,
        rule=lambda m, p, t: m.stock[p, t] + m.floor_gap[p, t] >= float(data.min_t[p]),
    )


def add_storage(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,t] ≤ max(p) where a storage limit is given (a hard limit)."""
    model.STORAGE_POINTS = pyo.Set(initialize=np.flatnonzero(np.isfinite(data.max_t)).tolist())
    model.con_storage = pyo.Constraint(
        model.STORAGE_POINTS,
        model.PERIODS,
        rule=lambda m, p, t: m.stock[p, t] <= float(data.max_t[p]),
    )


def add_end_target(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,T] + w[p] ≥ target_end(p), with the end gap w ≥ 0, where the target > 0."""
    model.TARGET_POINTS = pyo.Set(initialize=np.flatnonzero(data.target_end_t > 0).tolist())
    model.end_gap = pyo.Var(model.TARGET_POINTS, domain=pyo.NonNegativeReals)
    last = data.periods - 1
    model.con_end_target = pyo.Constraint(
        model.TARGET_POINTS,
        rule=lambda m, p: m.stock[p, last] + m.end_gap[p] >= float(data.target_end_t[p]),
    )
