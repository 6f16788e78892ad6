"""The extensive form of the robust plan (SPEC v3 §6): one block per scenario ω holding the
§2 families, the orders y committed now shared by every block, and the CVaR rows.

    min Σ_ω π_ω C_ω + β·CVaR_α,   CVaR_α = η + 1/(1 − α)·Σ_ω π_ω ξ_ω

y[o,s,t] is an order of the reference scenario ρ placed in the first K periods (order
period t − L_ρ ≤ K), for delivery in t. In ω it arrives in t_ω = t + L_ω − L_ρ with share
a_ω: a_ω·y is one of ω's deliveries in t_ω (balance, cover, share, budget), paid at ω's
terms of (o, s, t), and uses ω's capacity of the period t it was ordered for, beside ω's
own deliveries x_ω (order period after K). C_ω is ω's §2 objective with those deliveries,
plus the failed-tonne cost λ·disruption_cost·(1 − a_ω)·y. SPEC §7's onboarding z[o] lives
on the parent, shared by every block, and F·z is in every C_ω; lots w[o,t] are the
parent's for the (o, t) with committed orders (on y) and each block's own elsewhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import MonomialTermExpression, NegationExpression, SumExpression

from models import components
from models.build import add_families
from models.changes import Change
from models.data import ModelData, restrict
from models.expressions import add_rows, var_array, weighted_sum
from models.integer import (
    add_lot_onboarding,
    add_lots,
    add_max_suppliers,
    add_min_order,
    add_onboarding,
)
from models.objective import scenario_cost
from models.supply import add_capacity, add_deliveries


@dataclass(frozen=True)
class ScenarioData:
    """One scenario ω of the extensive form."""

    data: ModelData
    """ω's §2 data; its deliveries are ω's own (order period after K) and the committed
    orders that arrive in ω, each in the period it arrives"""
    commit: np.ndarray
    """per delivery of `data`: the committed order j it is, −1 for ω's own"""
    planned: np.ndarray
    """per delivery of `data`: the period it was ordered for, whose capacity it uses (a
    delivery of ω's own: its period)"""
    arrival: np.ndarray
    """a_ω[j] per committed delivery j (J,)"""
    failed_cost_per_t: np.ndarray
    """λ·disruption_cost(m)·(1 − a_ω[j]) per committed delivery j (J,)"""
    probability: float


@dataclass(frozen=True)
class RobustData:
    """The extensive form's data: the committed deliveries and one block per scenario."""

    committed: ModelData
    """the reference scenario's deliveries whose orders are decided now (y)"""
    scenarios: list[ScenarioData]
    alpha: float = 0.9
    beta: float = 0.0
    shared: bool = True
    """SPEC §7's z decided once for every scenario; False: each block has its own (the
    wait-and-see problem)"""


def fixed_decisions(commit: np.ndarray, onboard: dict[int, float]) -> Change:
    """The change that fixes y at `commit` and every shared z[o] at `onboard[o]` (0 for an
    offer not listed): the eev plan (SPEC §6)."""
    count = len(commit)
    change = Change()
    change.bounds[components.COMMIT] = (list(range(count)), commit, commit)
    if onboard:
        keys = list(onboard)
        values = np.array([round(onboard[key]) for key in keys], dtype=float)
        change.bounds[components.ONBOARD] = (keys, values, values)
    return change


def add_commitments(
    model: pyo.ConcreteModel, committed: ModelData, onboard: list[ModelData]
) -> None:
    """y[j] ≥ 0 for every committed order j = (o, s, t) of the reference scenario ρ, one
    per delivery of ρ ordered in period t − L_ρ[o,s,t] ≤ K (t: the period ordered for),
    with Σ_s y[o,s,t] ≤ cap_ρ[o,t] for every such (o, t) (the capacity family on y).

    SPEC §7 here: z[o] for the offers of every `onboard` data (none: z per scenario),
    shared by all blocks, with Σ_{o∈O_m} z[o] ≤ N_m; lots w[o,t] on the (o, t) with
    committed orders, Q_o·w ≤ Σ_s y ≤ cap_ρ·w and w ≤ z; else Σ_s y ≤ cap_ρ·z for an
    onboarded offer.
    """
    model.COMMITTED = pyo.Set(initialize=range(committed.deliveries), ordered=True)
    model.commit = pyo.Var(model.COMMITTED, domain=pyo.NonNegativeReals)
    commit = var_array(model.commit)
    if onboard:
        add_onboarding(model, onboard)
    add_lots(model, committed)
    add_capacity(model, committed, commit)
    add_min_order(model, committed, commit)
    add_lot_onboarding(model, committed)
    add_max_suppliers(model, committed)


def _arriving(arrival: np.ndarray, commit: np.ndarray) -> list[object]:
    """a·y per committed delivery (y itself when a = 1)."""
    return [
        y if a == 1.0 else MonomialTermExpression((float(a), y))
        for a, y in zip(arrival.tolist(), commit.tolist(), strict=True)
    ]


def add_scenario(
    block: pyo.Block, scenario: ScenarioData, commit: np.ndarray, shared_lots: np.ndarray
) -> object:
    """ω's own deliveries x_ω (order period after K) and the §2 families with the arriving
    a_ω·y beside them, the capacity rows counting a_ω·y at the period ordered for and no
    lot of ω's own on an (o, t) with committed orders (`shared_lots`); returns

    C_ω = §2 objective of ω + Σ_j λ·disruption_cost·(1 − a_ω[j])·y[j].
    """
    data, committed = scenario.data, scenario.commit >= 0
    own = restrict(data, ~committed)
    add_deliveries(block, own)
    terms = np.empty(data.deliveries, dtype=object)
    terms[~committed] = var_array(block.buy)
    j = scenario.commit[committed]
    terms[committed] = _arriving(scenario.arrival[j], commit[j])
    capacity = dataclasses.replace(data, period=scenario.planned)
    add_families(block, data, terms, own, capacity, shared_lots)
    failed = weighted_sum(scenario.failed_cost_per_t, commit)
    return SumExpression([scenario_cost(block, data, terms), failed])


def add_cvar(
    model: pyo.ConcreteModel, costs: list[object], probability: np.ndarray, alpha: float
) -> object:
    """ξ_ω ≥ C_ω − η, ξ_ω ≥ 0, η free (Rockafellar–Uryasev), written ξ_ω + η − C_ω ≥ 0;
    returns CVaR_α = η + 1/(1 − α)·Σ_ω π_ω ξ_ω, the CVaR of the C_ω at the optimum."""
    model.cvar_level = pyo.Var(domain=pyo.Reals)
    model.cvar_excess = pyo.Var(model.SCENARIOS, domain=pyo.NonNegativeReals)
    excess = var_array(model.cvar_excess)
    rows = [
        (0.0, SumExpression([excess[w], model.cvar_level, NegationExpression((cost,))]), None)
        for w, cost in enumerate(costs)
    ]
    add_rows(model, components.CVAR, list(range(len(costs))), rows)
    return SumExpression([model.cvar_level, weighted_sum(probability / (1 - alpha), excess)])


def build_robust(data: RobustData) -> pyo.ConcreteModel:
    """The extensive form: min Σ π_ω C_ω (+ β·CVaR_α when β > 0)."""
    model = pyo.ConcreteModel(name="reopt-robust")
    scenarios, committed = data.scenarios, data.committed
    onboard = [committed, *[scenario.data for scenario in scenarios]] if data.shared else []
    add_commitments(model, committed, onboard)
    model.SCENARIOS = pyo.Set(initialize=range(len(scenarios)), ordered=True)
    blocks = pyo.Block(model.SCENARIOS)
    model.add_component(components.SCENARIO_BLOCK, blocks)
    commit = var_array(model.commit)
    shared = np.asarray(list(model.LOTS), dtype=np.int64)
    costs = [
        add_scenario(blocks[w], scenario, commit, shared) for w, scenario in enumerate(scenarios)
    ]
    probability = np.array([scenario.probability for scenario in scenarios])
    terms = [float(p) * cost for p, cost in zip(probability.tolist(), costs, strict=True)]
    if data.beta > 0:
        terms.append(data.beta * add_cvar(model, costs, probability, data.alpha))
    model.cost = pyo.Objective(expr=SumExpression(terms), sense=pyo.minimize)
    return model
