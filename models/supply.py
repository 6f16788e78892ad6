"""Deliveries x[o,s,t] and the supplier capacity family (SPEC §2, constraint 2)."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from models import components
from models.data import ModelData
from models.expressions import add_rows, delivery_terms, unit_sum
from models.grouping import group_positions
from models.integer import capacity_switches, switched_capacity


def add_deliveries(model: pyo.ConcreteModel, data: ModelData) -> None:
    """x[i] ≥ 0 for every delivery i = (o, s, t) in the sparse set built from the data.

    The set already encodes lead time (t > L[o,s,t]), the availability window, approval
    p[o,s,t] > 0, cap[o,t] > 0, Lanes `allowed`, and the defense exclusion of covered chains.
    """
    model.DELIVERIES = pyo.Set(initialize=range(data.deliveries), ordered=True)
    model.buy = pyo.Var(model.DELIVERIES, domain=pyo.NonNegativeReals)


def add_capacity(model: pyo.ConcreteModel, data: ModelData, buy: np.ndarray | None = None) -> None:
    """Σ_s x[o,s,t] ≤ cap[o,t]  for every offer o and period t with a delivery.

    Rows are keyed o·T + t. Where SPEC §7 gives the offer a binary b (w[o,t], else z[o])
    the row is Σ_s x[o,s,t] ≤ cap[o,t]·b (`models.integer.capacity_switches`).
    """
    buy = delivery_terms(model, buy)
    groups = group_positions(components.capacity_key(data.offer, data.period, data.periods))
    keys = sorted(groups)
    switches = capacity_switches(model, data, keys)
    rows = []
    for key, switch in zip(keys, switches, strict=True):
        capacity = float(data.capacity_t[components.capacity_index(key, data.periods)])
        if switch is None:
            rows.append((None, unit_sum(buy[groups[key]]), capacity))
        else:
            rows.append(switched_capacity(buy[groups[key]].tolist(), switch, capacity))
    add_rows(model, components.CAPACITY, keys, rows)
