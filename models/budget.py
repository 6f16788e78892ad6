"""The period budget family (SPEC §2, constraint 8)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from models.data import ModelData
from models.grouping import group_positions


def add_budget(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_{o,s} c[o,s]·x[o,s,t] ≤ budget_t for every period with a budget and a delivery.

    Landed cost counts (price, duty, freight); risk cost is not spend.
    """
    groups = group_positions(data.period)
    rows = [t for t in np.flatnonzero(np.isfinite(data.budget)).tolist() if t in groups]
    model.BUDGET_PERIODS = pyo.Set(initialize=rows, ordered=True)

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        spend = sum(float(data.landed_cost_per_t[i]) * m.buy[i] for i in groups[t].tolist())
        return spend <= float(data.budget[t])

    model.con_budget = pyo.Constraint(model.BUDGET_PERIODS, rule=rule)
