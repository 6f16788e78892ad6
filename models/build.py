"""The formulation's table of contents: one call per family of SPEC §2, in order."""

from __future__ import annotations

import pyomo.core as pyo  # not pyomo.environ: its solver plugins cost 0.3 s a command

from models.budget import add_budget
from models.controls import add_country_share, add_licence_cover
from models.data import ModelData
from models.objective import add_objective
from models.stock import add_balance, add_end_target, add_stock, add_stock_floor, add_storage
from models.supply import add_capacity, add_deliveries


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """Build the sourcing LP of one scenario."""
    model = pyo.ConcreteModel(name="reopt")
    add_deliveries(model, data)
    add_stock(model, data)
    add_balance(model, data)  # 1
    add_capacity(model, data)  # 2
    add_stock_floor(model, data)  # 3
    add_storage(model, data)  # 4
    add_end_target(model, data)  # 5
    add_licence_cover(model, data)  # 6
    add_country_share(model, data)  # 7
    add_budget(model, data)  # 8
    add_objective(model, data)
    return model
