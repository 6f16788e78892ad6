"""Stock, shortfall and the stock families (SPEC §2, constraints 1, 3, 4, 5 and 10)."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from models import components
from models.data import ModelData
from models.expressions import add_rows, delivery_terms, minus, var_array
from models.grouping import group_positions
from models.recipes import run_flows


def add_stock(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Stock I[p,t] ≥ 0 and shortfall 0 ≤ u[p,t] ≤ d[p,t] for every stock point and period.

    The shortfall is bounded by the demand (SPEC v3 §2): unmet demand is never a source
    of material, so it can neither build stock nor feed anything else.
    """
    model.POINTS = pyo.Set(initialize=range(data.points), ordered=True)
    model.PERIODS = pyo.Set(initialize=range(data.periods), ordered=True)
    model.stock = pyo.Var(model.POINTS, model.PERIODS, domain=pyo.NonNegativeReals)
    demand = data.demand_t
    model.shortfall = pyo.Var(
        model.POINTS,
        model.PERIODS,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, p, t: (0.0, float(demand[p, t])),
    )


def stock_grid(model: pyo.ConcreteModel, data: ModelData) -> np.ndarray:
    """I as a (P, T) object array (the product set is point-major)."""
    return var_array(model.stock).reshape(data.points, data.periods)


def add_balance(model: pyo.ConcreteModel, data: ModelData, buy: np.ndarray | None = None) -> None:
    """I[p,t−1] + Σ_o x[o,s,t] + P[p,t] + u[p,t] + Σ_r out[r,m]·n[r,t−ℓ_r]
    = d[p,t] + I[p,t] + Σ_r in[r,m]·n[r,t], with I[p,−1] = initial.

    Written as I[p,t−1] + Σ x + u + Σ out·n − Σ in·n − I[p,t] = d − P (− initial when
    t = 0); a run's inputs leave the stock of its site when it starts, its outputs arrive
    ℓ_r later (`models.recipes.run_flows`).
    """
    buy = delivery_terms(model, buy)
    stock = stock_grid(model, data)
    shortfall = var_array(model.shortfall).reshape(data.points, data.periods)
    groups = group_positions(data.point * data.periods + data.period)
    flows = _run_terms(model, data)
    empty = np.empty(0, dtype=np.int64)
    rhs = data.demand_t - data.pipeline_t
    rhs[:, 0] -= data.initial_t
    keys, rows = [], []
    for p in range(data.points):
        for t in range(data.periods):
            receipts = buy[groups.get(p * data.periods + t, empty)].tolist()
            opening = [stock[p, t - 1]] if t > 0 else []
            made = flows.get(p * data.periods + t, [])
            body = LinearExpression(
                [*opening, *receipts, *made, shortfall[p, t], minus(stock[p, t])]
            )
            value = float(rhs[p, t])
            keys.append((p, t))
            rows.append((value, body, value))
    add_rows(model, components.BALANCE, keys, rows)


def _run_terms(model: pyo.Block, data: ModelData) -> dict[int, list]:
    """The runs' balance terms (out·n, −in·n) grouped by point·T + period."""
    points, periods, coefs, runs = run_flows(data)
    if not len(runs):
        return {}
    members = var_array(model.run)
    grouped: dict[int, list] = {}
    for key, coef, run in zip((points * data.periods + periods).tolist(), coefs.tolist(),
                              runs.tolist(), strict=True):  # fmt: skip
        term = members[run] if coef == 1.0 else MonomialTermExpression((coef, members[run]))
        grouped.setdefault(key, []).append(term)
    return grouped


def add_stock_floor(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,t] + v[p,t] ≥ min(p), with the floor gap v ≥ 0, where min(p) > 0."""
    keys = [(p, t) for p in np.flatnonzero(data.min_t > 0).tolist() for t in range(data.periods)]
    model.FLOOR_POINTS = pyo.Set(initialize=keys, ordered=True, dimen=2)
    model.floor_gap = pyo.Var(model.FLOOR_POINTS, domain=pyo.NonNegativeReals)
    stock, gap = stock_grid(model, data), var_array(model.floor_gap)
    rows = [
        (float(data.min_t[p]), LinearExpression([stock[p, t], gap[i]]), None)
        for i, (p, t) in enumerate(keys)
    ]
    add_rows(model, components.FLOOR, keys, rows)


def add_storage(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,t] ≤ max(p) where a storage limit is given (a hard limit)."""
    stock = stock_grid(model, data)
    points = np.flatnonzero(np.isfinite(data.max_t)).tolist()
    keys = [(p, t) for p in points for t in range(data.periods)]
    rows = [(None, LinearExpression([stock[p, t]]), float(data.max_t[p])) for p, t in keys]
    add_rows(model, components.STORAGE, keys, rows)


def add_site_storage(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_{m: (s,m)∈SM} I[s,m,t] ≤ storage(s) in every period, for each site with a
    storage limit (constraint 10, a hard limit on all materials together)."""
    stock = stock_grid(model, data)
    sites = [np.flatnonzero(data.point_storage == g) for g in range(len(data.storage_limit))]
    keys = [(g, t) for g in range(len(sites)) for t in range(data.periods)]
    rows = [
        (None, LinearExpression(stock[sites[g], t].tolist()), float(data.storage_limit[g]))
        for g, t in keys
    ]
    add_rows(model, components.SITE_STORAGE, keys, rows)


def add_end_target(model: pyo.ConcreteModel, data: ModelData) -> None:
    """I[p,T] + w[p] ≥ target_end(p), with the end gap w ≥ 0, where the target > 0."""
    keys = np.flatnonzero(data.target_end_t > 0).tolist()
    model.TARGET_POINTS = pyo.Set(initialize=keys, ordered=True)
    model.end_gap = pyo.Var(model.TARGET_POINTS, domain=pyo.NonNegativeReals)
    stock, gap = stock_grid(model, data), var_array(model.end_gap)
    rows = [
        (float(data.target_end_t[p]), LinearExpression([stock[p, -1], gap[i]]), None)
        for i, p in enumerate(keys)
    ]
    add_rows(model, components.END_TARGET, keys, rows)
