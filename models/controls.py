"""Trade-measure families: licence cover and country share (SPEC §2, constraints 6 and 7)."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import SumExpression

from models import components
from models.changes import share_coefficients
from models.data import ModelData
from models.expressions import add_rows, delivery_terms, minus, var_array, weighted_sum
from models.grouping import group_positions
from models.stock import stock_grid


def add_licence_cover(
    model: pyo.ConcreteModel, data: ModelData, buy: np.ndarray | None = None
) -> None:
    """Σ_{licensed o} (1 − p[o,s,t])·x[o,s,t] ≤ I[p,t−1] + q[p,t], with the cover gap q ≥ 0.

    Stock at the start of a period must cover the licensed volume expected to be
    denied in it. Rows exist only where some delivery has a denial share > 0; written
    as Σ (1 − p)·x − I[p,t−1] − q ≤ 0 (≤ initial when t = 0).
    """
    licensed = np.flatnonzero(data.denial_share > 0)
    groups = group_positions(data.point[licensed] * data.periods + data.period[licensed])
    keys = [(key // data.periods, key % data.periods) for key in sorted(groups)]
    model.COVER_POINTS = pyo.Set(initialize=keys, ordered=True, dimen=2)
    model.cover_gap = pyo.Var(model.COVER_POINTS, domain=pyo.NonNegativeReals)
    buy, stock = delivery_terms(model, buy), stock_grid(model, data)
    gap = var_array(model.cover_gap)
    rows = []
    for i, (p, t) in enumerate(keys):
        members = licensed[groups[p * data.periods + t]]
        denied = weighted_sum(data.denial_share[members], buy[members])
        opening = [minus(stock[p, t - 1])] if t > 0 else []
        limit = float(data.initial_t[p]) if t == 0 else 0.0
        rows.append((None, SumExpression([denied, minus(gap[i]), *opening]), limit))
    add_rows(model, components.COVER, keys, rows)


def add_country_share(
    model: pyo.ConcreteModel, data: ModelData, buy: np.ndarray | None = None
) -> None:
    """Σ_{o∈O_m, c∈chain(o)} Σ_{s,t} x ≤ share_c · Σ_{o∈O_m} Σ_{s,t} x  per capped (m, c).

    Written (1 − share)·Σ_touching x − share·Σ_others x ≤ 0. Caps whose country touches
    no delivery of the material are skipped: their left side is empty and could never bind.
    """
    buy = delivery_terms(model, buy)
    keys = sorted(set(data.share_cap.tolist()))
    rows = []
    for k in keys:
        members, coefs = share_coefficients(data, k)
        rows.append((None, weighted_sum(coefs, buy[members]), 0.0))
    add_rows(model, components.SHARE, keys, rows)
