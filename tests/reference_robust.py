"""An independent build of SPEC v3 §6 (the robust plan), on the §2 of `tests/reference_lp.py`.

Written from the SPEC alone, with openpyxl and scipy (`milp` at gap 0); it never imports
`models/` or `optimizer/`. Each scenario ω is one `Block` of `reference_lp` carrying every
family of §2 (and §8's runs, per scenario); this module adds only what §6 adds: the
committed orders y of the reference scenario ρ, their arrival in ω (share a_ω in period
t_ω), the `failed` cost, §7's z and the committed lots shared by every scenario, CVaR,
and the figures ws and eev.

Reading of "paid at c_ω[o,s,t] + r_ω[o,s,t]": a committed order is always read at ω's
terms of the delivery period t it was ordered for (its price, cost factor, tariff,
approval p_ω, licensed, capacity and L_ω are those of period t in ω, as the spec indexes
them), and it is *counted* in t_ω (balance, licence cover, budget, take-or-pay). Where a
term changes between t and t_ω (Prices, rule or availability windows) the late order
keeps the terms of t, which ω alone could not get, so ws ≤ RP (evpi ≥ 0) can then fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.reference_lp import (
    LP,
    Block,
    Book,
    Flow,
    add_capacity,
    add_families,
    add_onboarding,
    add_purchases,
    build,
    capacity,
    charge_onboarding,
    delivery,
    derive,
    read_book,
    resolve,
)
from tests.workbooks import Sheets


def random_sheets(rng: np.random.Generator, integer: bool = False) -> Sheets:
    """A small valid workbook for §6: scenarios base, squeeze and ban (probabilities 0.5,
    0.3, 0.2), lead times and licence delays that differ between scenarios (so committed
    orders arrive late, or past the horizon, in some), budgets, stock, and sometimes a
    magnet recipe, a site storage and a take-or-pay offer; `integer` adds §7's fixed_cost,
    min_order and max_suppliers (drawn last, so the rest of the workbook is the one drawn
    without them). No term depends on the period (no Prices, rule or availability
    windows): a committed order that arrives late meets the terms ω would have had."""
    periods = [f"2027-{m:02d}" for m in range(1, int(rng.integers(2, 5)) + 1)]
    materials = [("Dy oxide", "Dy"), ("NdPr oxide", "Nd, Pr")][: int(rng.integers(1, 3))]
    countries = ["China", "Malaysia", "US"]
    sites = [("Plant", "commercial"), ("Base", "defense")][: int(rng.integers(1, 3))]
    pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    sheets: Sheets = {
        "Settings": [
            ["key", "value"],
            ["risk_weight", float(pick([0.5, 1.0]))],
            ["period_days", 30.0],
            ["commit_periods", int(rng.integers(0, len(periods) + 1))],
        ],
        "Periods": [["period", "budget"]]
        + [[p, pick([None, None, float(rng.integers(500, 3000))])] for p in periods],
        "Materials": [
            ["material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
             "disruption_cost", "salvage_value"]
        ]
        + [
            [name, elements, float(rng.integers(0, 5)), 1000.0, pick([0.0, 20.0]),
             float(rng.integers(0, 60)), pick([0.0, 0.0, 15.0])]
            for name, elements in materials
        ],
        "Countries": [["country", "tariff", "covered", "max_share"],
                      ["China", 0.25, "yes", pick([1.0, 0.7])],
                      ["Malaysia", 0.0, "no", 1.0], ["US", 0.1, "no", 1.0]],
    }  # fmt: skip
    offers = [["supplier", "material", "country", "refined_in", "mined_in", "capacity",
               "unit_cost", "freight", "lead_time"]]  # fmt: skip
    for i in range(int(rng.integers(2, 5))):
        offers.append(
            [f"sup{i}", pick(materials)[0], pick(countries), pick(countries), pick(countries),
             float(rng.integers(1, 15)), float(rng.integers(10, 90)), float(rng.integers(0, 4)),
             int(rng.integers(0, 3))]
        )  # fmt: skip
    demand = [["site", "material", "period", "quantity"]]
    for site, _ in sites:
        for material, _ in materials:
            for period in periods:
                if rng.random() < 0.7:
                    demand.append([site, material, period, float(rng.integers(0, 12))])
    if len(demand) == 1:
        demand.append([sites[0][0], materials[0][0], periods[-1], 3.0])
    stock = [["site", "material", "initial", "min", "max", "target_end"]]
    for site, _ in sites:
        for material, _ in materials:
            if rng.random() < 0.5:
                initial = float(rng.integers(0, 6))
                stock.append([site, material, initial, float(rng.integers(0, 4)), None,
                              float(rng.integers(0, 4))])  # fmt: skip
    sheets["Scenarios"] = [
        ["scenario", "parent", "demand_factor", "probability"],
        ["base", None, 1.0, 0.5],
        ["squeeze", "base", float(pick([1.0, 1.2])), 0.3],
        ["ban", "squeeze", 1.0, 0.2],
    ]
    rules = [["scenario", "country", "item", "end_use", "approval", "delay_days",
              "capacity_factor", "cost_factor", "extra_tariff"]]  # fmt: skip
    rules.append(["base", "China", pick(["*", "Dy"]), "*", pick([0.6, 0.9, 1.0]),
                  pick([0.0, 45.0]), 1.0, 1.0, 0.0])  # fmt: skip
    rules.append(["squeeze", pick(countries), "*", "*", 1.0, pick([0.0, 30.0, 60.0]),
                  pick([0.5, 0.0, 1.0]), pick([1.0, 1.5]), pick([0.0, 0.1])])  # fmt: skip
    rules.append(["ban", "China", "Dy", "*", 0.0, 0.0, 1.0, 1.0, 0.0])
    rules.append(["ban", "Malaysia", "*", "*", 1.0, pick([0.0, 30.0]), 1.0, 1.0, 0.0])
    sheets["Controls"] = rules
    if rng.random() < 0.5:  # a magnet made at Plant from the oxides, or bought from China
        inputs = {"Dy oxide": 0.05, "NdPr oxide": 0.3}
        sheets["Materials"].append(["magnet", "Nd, Pr, Dy", 1.0, 2000.0, 0.0, 0.0, 0.0])
        sheets["Recipes"] = [["recipe", "site", "cost", "capacity", "lead_time"],
                             ["sinter", "Plant", float(pick([10, 40])), pick([None, 5.0]),
                              int(pick([0, 1]))]]  # fmt: skip
        sheets["RecipeItems"] = [["recipe", "material", "input", "output"],
                                 ["sinter", "magnet", None, 1.0]] + [
            ["sinter", name, inputs[name], None] for name, _ in materials
        ]  # fmt: skip
        offers.append(["JL", "magnet", "China", None, None, float(rng.integers(0, 6)),
                       float(pick([60, 150])), 0.0, int(pick([0, 1]))])  # fmt: skip
        demand += [["Plant", "magnet", p, float(rng.integers(0, 7))] for p in periods]
    held = sum(row[2] for row in stock[1:] if row[0] == "Plant")
    storage = pick([None, held + float(rng.integers(5, 20))])
    sheets["Sites"] = [["site", "end_use", "storage"],
                       *[[s, e, storage if s == "Plant" else None] for s, e in sites]]  # fmt: skip
    offers[0] += ["min_total", "take_or_pay_price"]
    bound = int(rng.integers(0, len(offers)))  # the take-or-pay offer; 0: none
    for i, row in enumerate(offers[1:], start=1):
        row += [float(rng.integers(2, 10)), pick([None, 5.0, 30.0])] if i == bound else [None] * 2
    sheets["Suppliers"], sheets["Demand"], sheets["Stock"] = offers, demand, stock
    if integer:
        sheets["Suppliers"] = [
            [*offers[0], "fixed_cost", "min_order"],
            *[[*row, pick([0.0, 30.0, 150.0]), pick([0.0, 0.0, 4.0])] for row in offers[1:]],
        ]
        table = sheets["Materials"]
        table[0] = [*table[0], "max_suppliers"]
        for row in table[1:]:
            row.append(pick([None, 1, 2]))
    return sheets


def scenario_set(
    book: Book, names: list[str] | None = None, probability: list[float] | None = None
) -> list[tuple[str, float]]:
    """Ω and π: the named scenarios, else those whose probability is > 0, else every
    scenario (base included); all equally likely when they have no probabilities."""
    given: dict[str, Any] = {str(r["scenario"]).strip(): r.get("probability")
                             for r in book.rows("scenarios")}  # fmt: skip
    if names is None:
        names = [n for n, p in given.items() if p not in (None, "") and float(p) > 0]
        names = names or ["base", *[n for n in given if n != "base"]]
    if probability is None:
        listed = [given.get(n) for n in names]
        known = all(p not in (None, "") for p in listed)
        probability = [float(p) for p in listed] if known else [1 / len(names)] * len(names)
    return list(zip(names, probability, strict=True))


@dataclass
class _Form:
    """The extensive form of §6: one model, the committed orders, one block per scenario."""

    lp: LP
    cost: dict[int, float]
    committed: Block  # ρ's deliveries; its flows are the committed orders y (share 1)
    blocks: list[tuple[str, float, Block]]


def add_arrivals(block: Block, committed: Block) -> None:
    """§6: each committed y[o,s,t] arrives in ω in t_ω = t + L_ω[o,s,t] − L_ρ[o,s,t] with
    share a_ω: 0 past the horizon or where ω allows no delivery at (o, s, t) for a reason
    other than the lead time, else min(1, cap_ω[o,t]/cap_ρ[o,t]); a·y is paid at c_ω + r_ω
    of (o, s, t) and counted in t_ω; (1 − a)·y costs λ·disruption_cost(m) (`failed`)."""
    data = block.data
    for order in committed.flows:
        planned = order.terms
        here = delivery(data, planned.offer, planned.site, planned.t)
        share = 0.0
        if here is not None and planned.t + here.lead - planned.lead < len(data.periods):
            cap_rho = capacity(committed.data, planned.offer, planned.t)
            share = min(1.0, capacity(data, planned.offer, planned.t) / cap_rho)
            block.receive(order.column, share, here, planned.t + here.lead - planned.lead)
        material = data.materials[data.offers[planned.offer].material]
        failed = data.settings["risk_weight"] * material["disruption_cost"] * (1 - share)
        block.cost("failed", order.column, failed)


def _extensive_form(
    book: Book, omega: list[tuple[str, float]], alpha: float, beta: float, window: int,
    reference: str, shared: bool,
) -> _Form:  # fmt: skip
    """min Σ π C_ω + β·CVaR_α over y (ρ's deliveries ordered in periods 1..K, Σ_s y ≤
    cap_ρ), §7's z (shared when `shared`, else per scenario) and lots w on the committed
    (o, t) (Q·w ≤ Σ_s y ≤ cap_ρ·w), and per scenario x_ω for order periods > K with every
    family of §2; CVaR_α = η + Σ π ξ/(1 − α), ξ_ω ≥ C_ω − η, ξ ≥ 0 (Rockafellar–Uryasev).

    Readings: the lot rows of a committed (o, t) are only those on y; ω's own x at that
    (o, t) (a site whose delay puts its order after K) has no lot of its own. The row
    Σ_s y ≤ cap_ρ becomes Σ_s y ≤ cap_ρ·z[o] for an offer with z, as §7 says of every
    capacity row."""
    lp = LP()
    rho = resolve(book, reference)
    committed = Block(rho, derive(rho))
    committed.onboard = add_onboarding(lp, rho) if shared else {}
    for terms in committed.deliveries:
        if terms.t - terms.lead < window:  # order period (1-based) t − L ≤ K
            committed.flows.append(Flow(lp.var(), 1.0, terms, terms.t))
    add_capacity(lp, committed)
    lots = frozenset((flow.terms.offer, flow.terms.t) for flow in committed.flows)
    form = _Form(lp, {}, committed, [])
    eta = lp.var(lower=-math.inf) if beta > 0 else None
    for name, pi in omega:
        data = resolve(book, name)
        block = Block(data, derive(data))
        charge_onboarding(block, committed.onboard if shared else add_onboarding(lp, data))
        add_purchases(lp, block, first_order=window)
        add_arrivals(block, committed)
        add_families(lp, block, lots)
        own = block.objective()
        for column, coef in own.items():
            form.cost[column] = form.cost.get(column, 0.0) + pi * coef
        if eta is not None:
            xi = lp.var()
            form.cost[xi] = beta * pi / (1 - alpha)
            lp.row({**own, eta: -1.0, xi: -1.0}, -math.inf, 0.0)
        form.blocks.append((name, pi, block))
    if eta is not None:
        form.cost[eta] = beta
    return form


def _value(cost: dict[int, float], values: Any) -> float:
    return float(sum(coef * values[column] for column, coef in cost.items()))


def cvar(costs: list[float], probability: list[float], alpha: float) -> float:
    """CVaR_α of scenario costs: min over η (a scenario cost) of η + Σ π·max(C − η, 0)/(1 − α)."""
    pairs = list(zip(costs, probability, strict=True))
    return min(eta + sum(p * max(c - eta, 0.0) for c, p in pairs) / (1 - alpha) for eta in costs)


@dataclass
class Order:
    """A committed order: tonnes, and per scenario its share a_ω and arrival period."""

    quantity: float
    arrives: dict[str, tuple[float, str | None]]


@dataclass
class Robust:
    """SPEC §6's reported figures, each scenario's C_ω (with its terms), the orders."""

    objective: float
    expected_cost: float
    cvar: float
    ws: float | None
    eev: float | None
    costs: dict[str, float]
    terms: dict[str, dict[str, float]]
    commit: dict[tuple[str, str, str, str], Order]  # (supplier, material, site, period)


def _orders(form: _Form, values: Any) -> dict[tuple[str, str, str, str], Order]:
    rho = form.committed.data
    orders = {}
    for order in form.committed.flows:
        offer = rho.offers[order.terms.offer]
        arrives: dict[str, tuple[float, str | None]] = {}
        for name, _, block in form.blocks:
            found = [f for f in block.flows if f.column == order.column]
            period = block.data.periods[found[0].arrival] if found else None
            arrives[name] = (found[0].share, period) if found else (0.0, None)
        key = (offer.supplier, offer.material, order.terms.site, rho.periods[order.terms.t])
        orders[key] = Order(float(values[order.column]), arrives)
    return orders


def _eev(book: Book, form: _Form, reference: str) -> float | None:
    """The optimum with y and z fixed to ρ's own §2 plan (None: no plan either way).

    It depends on which of ρ's optima scipy returns when ρ has several."""
    lp, block = build(resolve(book, reference))
    plan = lp.solve(block.objective())
    if plan is None:
        return None
    own = {(f.terms.offer, f.terms.site, f.terms.t): plan[f.column] for f in block.flows}
    fixed = {
        f.column: max(0.0, own[(f.terms.offer, f.terms.site, f.terms.t)])
        for f in form.committed.flows
    }
    fixed |= {z: float(round(plan[block.onboard[o]])) for o, z in form.committed.onboard.items()}
    values = form.lp.solve(form.cost, fixed)
    return None if values is None else _value(form.cost, values)


def reference_robust(
    path: Path, names: list[str] | None = None, probability: list[float] | None = None,
    alpha: float = 0.9, beta: float = 0.0, commit: int | None = None,
    reference: str | None = None, eev: bool = True,
) -> Robust | None:  # fmt: skip
    """SPEC v3 §6's robust plan of the workbook at `path` (None: no plan): K = `commit`,
    else Settings commit_periods, else 1; ρ = `reference`, else Settings scenario, else
    base; Ω as `scenario_set`. `eev=False` skips the secondary figure eev."""
    book = read_book(path)
    settings = resolve(book).settings
    window = settings["commit_periods"] if commit is None else commit
    rho = reference or settings["scenario"]
    omega = scenario_set(book, names, probability)
    form = _extensive_form(book, omega, alpha, beta, window, rho, shared=True)
    values = form.lp.solve(form.cost)
    if values is None:
        return None
    costs = {name: _value(block.objective(), values) for name, _, block in form.blocks}
    alone = _extensive_form(book, omega, alpha, beta, 0, rho, shared=False)
    wait = alone.lp.solve(alone.cost)
    return Robust(
        objective=_value(form.cost, values),
        expected_cost=sum(pi * costs[name] for name, pi, _ in form.blocks),
        cvar=cvar(list(costs.values()), [pi for _, pi, _ in form.blocks], alpha),
        ws=None if wait is None else _value(alone.cost, wait),
        eev=_eev(book, form, rho) if eev else None,
        costs=costs,
        terms={name: block.evaluate(values) for name, _, block in form.blocks},
        commit=_orders(form, values),
    )


def robust_objective(
    path: Path, names: list[str], probability: list[float], alpha: float, beta: float,
    commit: int | None = None, reference: str | None = None,
) -> float | None:  # fmt: skip
    """min Σ π C_ω + β·CVaR_α of SPEC v3 §6 (None: no plan)."""
    found = reference_robust(path, names, probability, alpha, beta, commit, reference, eev=False)
    return None if found is None else found.objective
