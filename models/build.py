"""The formulation's table of contents: one call per family of SPEC §2, §5, §7 and §8, in order."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo  # not pyomo.environ: its solver plugins cost 0.3 s a command

from models.budget import add_budget
from models.contracts import add_take_or_pay
from models.controls import add_country_share, add_licence_cover
from models.data import ModelData
from models.integer import add_binaries, add_lot_onboarding, add_max_suppliers, add_min_order
from models.objective import add_objective, scenario_cost
from models.recipes import add_recipe_capacity, add_runs
from models.stability import StabilityData, add_cost_bound, add_distance, add_moves
from models.stock import (
    add_balance,
    add_end_target,
    add_site_storage,
    add_stock,
    add_stock_floor,
    add_storage,
)
from models.supply import add_capacity, add_deliveries


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """Build the sourcing LP of one scenario (a MIP when it has the terms of SPEC §7)."""
    model = pyo.ConcreteModel(name="reopt")
    add_deliveries(model, data)
    add_families(model, data)
    add_objective(model, data)
    return model


def build_stable_model(data: ModelData, stability: StabilityData) -> pyo.ConcreteModel:
    """The scenario's model with its cost bounded, closest to the last plan (SPEC §5)."""
    model = pyo.ConcreteModel(name="reopt-stable")
    add_deliveries(model, data)
    add_families(model, data)
    cost = scenario_cost(model, data)
    add_cost_bound(model, cost, stability)
    add_moves(model, stability)
    add_distance(model, cost, stability)
    return model


def add_families(
    model: pyo.Block,
    data: ModelData,
    buy: np.ndarray | None = None,
    own: ModelData | None = None,
    capacity: ModelData | None = None,
    shared_lots: np.ndarray | None = None,
) -> None:
    """Stock, runs and constraints 1–11 of SPEC §2 on a model (or one scenario's block).

    The robust plan (SPEC §6, `models.robust`) passes `buy`, the delivery terms of `data`
    (the arriving a·y of committed orders, the block's own x), `own`, the data of the
    block's own deliveries (its min-order and lot rows and lots w[o,t] are written for
    those only, the committed ones having theirs on the parent, which also holds the
    shared z of SPEC §7), `capacity`, `data` with each delivery at the period whose
    capacity it uses, and `shared_lots`, the (o, t) keys whose lot is the parent's.
    """
    mine = data if own is None else own
    add_stock(model, data)
    add_runs(model, data)  # §8
    add_binaries(model, mine, shared_lots)  # §7
    add_balance(model, data, buy)  # 1
    add_capacity(model, data if capacity is None else capacity, buy)  # 2
    add_stock_floor(model, data)  # 3
    add_storage(model, data)  # 4
    add_end_target(model, data)  # 5
    add_licence_cover(model, data, buy)  # 6
    add_country_share(model, data, buy)  # 7
    add_budget(model, data, buy)  # 8
    add_recipe_capacity(model, data)  # 9
    add_site_storage(model, data)  # 10
    add_take_or_pay(model, data, buy)  # 11
    add_min_order(model, mine)  # §7
    add_lot_onboarding(model, mine)  # §7
    add_max_suppliers(model, data)  # §7
