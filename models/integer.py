"""Integer sourcing terms (SPEC §7): onboarding z[o], lots w[o,t] and their families.

Without `fixed_cost`, `min_order` and `max_suppliers` in the data no binary exists and
every family below is empty, so the model stays the LP of SPEC §2.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from models import components
from models.data import ModelData
from models.expressions import (
    add_rows,
    delivery_terms,
    minus,
    unit_sum,
    var_array,
    weighted_sum,
)
from models.grouping import group_positions


def _onboarded(data: ModelData) -> np.ndarray:
    """Offers that get z[o]: they can deliver, and F_o > 0 or their material has N_m."""
    if len(data.fixed_cost) == 0:
        return np.zeros(0, dtype=np.int64)
    capped = np.isfinite(data.max_suppliers)[data.offer_material]
    wanted = np.flatnonzero((data.fixed_cost > 0) | capped)
    return np.intersect1d(wanted, data.offer) if len(wanted) else wanted


def _lots(data: ModelData) -> np.ndarray:
    """Keys o·T + t of the periods in which an offer with Q_o > 0 can deliver."""
    if not (data.min_order_t > 0).any():
        return np.zeros(0, dtype=np.int64)
    keys = np.unique(components.capacity_key(data.offer, data.period, data.periods))
    return keys[data.min_order_t[components.capacity_index(keys, data.periods)[0]] > 0]


def add_onboarding(model: pyo.Block, data: list[ModelData]) -> None:
    """z[o] ∈ {0,1} (the offer is used) for every offer that can deliver in some `data`
    with F_o > 0 or of a material with max_suppliers.

    The robust plan (SPEC §6) puts z on its parent model, shared by every scenario block
    and the committed deliveries: which suppliers to onboard is decided now.
    """
    offers = np.unique(np.concatenate([_onboarded(one) for one in data])).astype(np.int64)
    model.ONBOARD = pyo.Set(initialize=offers.tolist(), ordered=True)
    model.onboard = pyo.Var(model.ONBOARD, domain=pyo.Binary)


def add_lots(model: pyo.Block, data: ModelData, shared: np.ndarray | None = None) -> None:
    """w[o,t] ∈ {0,1} (o delivers a lot in t) for every (o, t) with a delivery variable
    and Q_o > 0, but those whose lot a parent shares (`shared`, SPEC §6: the committed
    orders' lots)."""
    keys = _lots(data)
    if shared is not None and len(shared):
        keys = keys[~np.isin(keys, shared)]
    model.LOTS = pyo.Set(initialize=keys.tolist(), ordered=True)
    model.lot = pyo.Var(model.LOTS, domain=pyo.Binary)


def add_binaries(model: pyo.Block, data: ModelData, shared_lots: np.ndarray | None = None) -> None:
    """z[o] ∈ {0,1} (`add_onboarding`), unless a parent block shares its own, and w[o,t] ∈ {0,1}
    (`add_lots`)."""
    if shared_owner(model) is None:
        add_onboarding(model, [data])
    add_lots(model, data, shared_lots)


def shared_owner(model: pyo.Block) -> pyo.Block | None:
    """The block up the tree (the model itself included) holding the z of SPEC §7."""
    while model is not None and model.component("ONBOARD") is None:
        model = model.parent_block()
    return model


def onboarding(model: pyo.Block) -> dict[int, object]:
    """z[o] by offer o as seen from `model`: its own, else the robust parent's."""
    owner = shared_owner(model)
    if owner is None:
        return {}
    return dict(zip(owner.ONBOARD, var_array(owner.onboard), strict=True))


def capacity_switches(model: pyo.ConcreteModel, data: ModelData, keys: list[int]) -> list:
    """The binary that switches each capacity row o·T + t: w[o,t] if it exists, else
    z[o] if it exists, else None (the plain LP row Σ_s x ≤ cap[o,t])."""
    onboard = onboarding(model)
    lots = dict(zip(model.LOTS, var_array(model.lot), strict=True))
    return [
        lots.get(key, onboard.get(components.capacity_index(key, data.periods)[0])) for key in keys
    ]


def switched_capacity(buy: list, switch: object, capacity: float) -> tuple:
    """The row Σ_s x[o,s,t] − cap[o,t]·b ≤ 0 for the binary b that switches it."""
    return (None, LinearExpression([*buy, MonomialTermExpression((-capacity, switch))]), 0.0)


def add_min_order(model: pyo.Block, data: ModelData, buy: np.ndarray | None = None) -> None:
    """Q_o·w[o,t] ≤ Σ_s x[o,s,t]  for every lot (o, t).

    Written Σ_s x − Q_o·w ≥ 0. The upper side Σ_s x ≤ cap[o,t]·w[o,t] is the capacity
    row itself (`capacity_switches`). `buy` replaces x (the robust plan's committed y).
    """
    buy, lot = delivery_terms(model, buy), var_array(model.lot)
    groups = group_positions(components.capacity_key(data.offer, data.period, data.periods))
    keys = list(model.LOTS)
    rows = [
        (
            0.0,
            LinearExpression(
                [
                    *buy[groups[key]].tolist(),
                    MonomialTermExpression(
                        (
                            -float(
                                data.min_order_t[components.capacity_index(key, data.periods)[0]]
                            ),
                            w,
                        )
                    ),
                ]
            ),
            None,
        )
        for key, w in zip(keys, lot, strict=True)
    ]
    add_rows(model, components.MIN_ORDER, keys, rows)


def add_lot_onboarding(model: pyo.ConcreteModel, data: ModelData) -> None:
    """w[o,t] ≤ z[o]  for every lot of an onboarded offer.

    Implied by §7 (a lot delivers Q_o > 0, so Σ_s x ≤ cap·z forces z = 1); written out
    so that the capacity row of a lot period can be switched by w alone.
    """
    onboard = onboarding(model)
    keys = [key for key in model.LOTS if components.capacity_index(key, data.periods)[0] in onboard]
    lots = dict(zip(model.LOTS, var_array(model.lot), strict=True))
    rows = [
        (
            None,
            LinearExpression(
                [lots[key], minus(onboard[components.capacity_index(key, data.periods)[0]])]
            ),
            0.0,
        )
        for key in keys
    ]
    add_rows(model, components.LOT_ONBOARD, keys, rows)


def add_max_suppliers(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_{o∈O_m} z[o] ≤ N_m  for every material m with max_suppliers.

    Offers that can never deliver have no z and no place here. Rows whose material has
    no more onboarded offers than N_m can never bind and are left out. The rows sit with
    z: a scenario block sharing its parent's z (SPEC §6) has none of its own.
    """
    if model.component("ONBOARD") is None:
        return
    offers = np.asarray(list(model.ONBOARD), dtype=np.int64)
    onboard = var_array(model.onboard)
    groups = group_positions(data.offer_material[offers]) if len(offers) else {}
    keys = [
        m
        for m in sorted(groups)
        if np.isfinite(data.max_suppliers[m]) and len(groups[m]) > data.max_suppliers[m]
    ]
    rows = [(None, unit_sum(onboard[groups[m]]), float(data.max_suppliers[m])) for m in keys]
    add_rows(model, components.MAX_SUPPLIERS, keys, rows)


def fixed_cost_term(model: pyo.ConcreteModel, data: ModelData) -> object:
    """Σ F_o·z[o], the cost term `fixed` (of the shared z in a robust scenario block)."""
    onboard = onboarding(model)
    offers = np.fromiter(onboard, dtype=np.int64, count=len(onboard))
    return weighted_sum(data.fixed_cost[offers], np.array(list(onboard.values()), dtype=object))
