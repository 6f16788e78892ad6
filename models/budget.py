"""The period budget family (SPEC §2, constraint 8)."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from models import components
from models.data import ModelData
from models.expressions import add_rows, delivery_terms, weighted_sum
from models.grouping import group_positions


def add_budget(model: pyo.ConcreteModel, data: ModelData, buy: np.ndarray | None = None) -> None:
    """Σ_{o,s} c[o,s,t]·x[o,s,t] ≤ budget_t for every period with a budget and a delivery.

    Landed cost counts (price, duty, freight); risk cost is not spend.
    """
    buy = delivery_terms(model, buy)
    groups = group_positions(data.period)
    keys = [t for t in np.flatnonzero(np.isfinite(data.budget)).tolist() if t in groups]
    rows = [
        (
            None,
            weighted_sum(data.landed_cost_per_t[groups[t]], buy[groups[t]]),
            float(data.budget[t]),
        )
        for t in keys
    ]
    add_rows(model, components.BUDGET, keys, rows)
