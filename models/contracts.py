"""Take-or-pay commitments (SPEC §2, constraint 11): what the buyer has committed to
take over the horizon, and the price of each tonne it does not take.

Without a commitment in the data there is no gap variable and no row.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from models import components
from models.data import ModelData
from models.expressions import add_rows, delivery_terms, var_array, weighted_sum
from models.grouping import group_positions


def add_take_or_pay(model: pyo.Block, data: ModelData, buy: np.ndarray | None = None) -> None:
    """Σ_{s,t} x[o,s,t] + g[k] ≥ owed[k] for each commitment k of offer o, with the gap
    g[k] ≥ 0; owed[k] = min(min_total, Σ_t cap[o,t] over the periods in which o has a
    delivery variable): a ban or a capacity cut excuses what it prevents."""
    count = len(data.contract_offer)
    model.CONTRACTS = pyo.Set(initialize=range(count), ordered=True)
    model.take_or_pay_gap = pyo.Var(model.CONTRACTS, domain=pyo.NonNegativeReals)
    terms, gaps = delivery_terms(model, buy), var_array(model.take_or_pay_gap)
    by_offer = group_positions(data.offer)
    empty = np.empty(0, dtype=np.int64)
    rows = [
        (
            float(data.contract_total_t[k]),
            LinearExpression([*terms[by_offer.get(int(o), empty)].tolist(), gaps[k]]),
            None,
        )
        for k, o in enumerate(data.contract_offer.tolist())
    ]
    add_rows(model, components.TAKE_OR_PAY, list(range(count)), rows)


def take_or_pay_cost(model: pyo.Block, data: ModelData) -> object:
    """Σ take_or_pay_price(o)·g[k], the cost term `take_or_pay`."""
    return weighted_sum(data.contract_price, var_array(model.take_or_pay_gap))
