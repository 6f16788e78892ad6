"""Deliveries x[o,s,t] and the supplier capacity family (SPEC §2, constraint 2)."""

from __future__ import annotations

import pyomo.core as pyo

from models.data import ModelData
from models.expressions import add_rows, unit_sum, var_array
from models.grouping import group_positions


def add_deliveries(model: pyo.ConcreteModel, data: ModelData) -> None:
    """x[i] ≥ 0 for every delivery i = (o, s, t) in the sparse set built from the data.

    The set already encodes lead time (t > L[o,s]), the availability window, approval
    p > 0, cap[o] > 0, Lanes `allowed`, and the defense exclusion of covered chains.
    """
    model.DELIVERIES = pyo.Set(initialize=range(data.deliveries), ordered=True)
    model.buy = pyo.Var(model.DELIVERIES, domain=pyo.NonNegativeReals)


def add_capacity(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_s x[o,s,t] ≤ cap[o,t]  for every offer o and period t with a delivery.

    Rows are keyed o·T + t.
    """
    buy = var_array(model.buy)
    groups = group_positions(data.offer * data.periods + data.period)
    keys = sorted(groups)
    rows = [
        (None, unit_sum(buy[groups[key]]), float(data.capacity_t[divmod(key, data.periods)]))
        for key in keys
    ]
    add_rows(model, "con_capacity", keys, rows)
