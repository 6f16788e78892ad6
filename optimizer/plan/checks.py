"""Check a plan against the inputs, without Pyomo and without the model's derived data.

The rules needed here (capacity factors, delays, exclusions) are re-derived with plain
Python from the workbook's tables, so a bug in the vectorised derivation cannot vouch
for itself. A plan that fails is never written (exit 1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.domain.names import canonical
from optimizer.domain.scenarios import Scenario
from optimizer.domain.words import ANY, CHAIN, DEFENSE
from optimizer.plan.tables import ORDERED_FOR, PlanTables

TOLERANCE = 1e-6


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _above(value: float, limit: float) -> bool:
    return value > limit + TOLERANCE * max(1.0, limit)


@dataclass(frozen=True)
class _Rule:
    country: str
    item: str
    end_use: str
    approval: float
    delay_days: float
    capacity_factor: float
    cost_factor: float
    extra_tariff: float
    from_t: int
    to_t: int
    min_content: float
    """NaN: the rule reaches by chain only"""


class _Facts:
    """The inputs as plain dictionaries, built once per check."""

    def __init__(self, inputs: Inputs, scenario: Scenario) -> None:
        self.inputs = inputs
        self.scenario = scenario
        self.rules = [
            _Rule(
                r.country,
                r.item,
                canonical(r.end_use),
                r.approval,
                r.delay_days,
                r.capacity_factor,
                r.cost_factor,
                r.extra_tariff,
                int(r.from_t),
                int(r.to_t),
                float(r.min_content),
            )
            for r in scenario.rules.itertuples()
        ]
        self.offers = {(o["supplier"], o["material"]): o for o in inputs.offers.to_dict("records")}
        self.elements = {m: set(e) for m, e in inputs.materials["elements"].items()}
        self.covered = inputs.countries["covered"].astype(bool).to_dict()
        self.end_use = inputs.sites["end_use"].to_dict()
        self.period = {label: index for index, label in enumerate(inputs.periods)}
        names = inputs.offers[["supplier", "material"]].to_numpy()
        self.price = {(*names[row.offer], int(row.period)): row.unit_cost
                      for row in inputs.prices.itertuples()}  # fmt: skip
        self.found: dict[tuple[str, str, str | None, int], list[_Rule]] = {}

    def unit_cost(self, offer: dict, t: int) -> float:
        """π[o,t]: the Prices row of (o, t), else the offer's unit_cost."""
        return self.price.get((offer["supplier"], offer["material"], t), offer["unit_cost"])

    def matching(self, offer: dict, end_use: str | None, t: int) -> list[_Rule]:
        """Rules whose country is in the offer's chain (or, with min_content, of which the
        offer declares a value share of at least min_content), whose item and end use
        match, and whose window holds period t."""
        use = canonical(end_use) if end_use is not None else None
        key = (offer["supplier"], offer["material"], use, t)
        if key not in self.found:
            chain = {offer[column] for column in CHAIN}
            items = {ANY, offer["material"], *self.elements[offer["material"]]}
            declared = offer["origin_content"]
            self.found[key] = [
                rule
                for rule in self.rules
                if (rule.country in chain or declared.get(rule.country, -1.0) >= rule.min_content)
                and rule.item in items
                and rule.end_use in (ANY, use)
                and rule.from_t <= t <= rule.to_t
            ]
        return self.found[key]


def _terms_period(plan: pd.DataFrame) -> pd.Series:
    """The period whose terms and capacity each plan row has: its delivery period, or for
    an order the robust plan commits now (SPEC §6), the period it was ordered for."""
    if ORDERED_FOR not in plan:
        return plan["period"]
    return plan[ORDERED_FOR].where(plan[ORDERED_FOR].notna(), plan["period"])


def check_capacity(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Σ over sites of a supplier's deliveries in a period ≤ capacity × Π capacity_factor
    (a committed order uses the capacity of the period it was ordered for)."""
    facts = _Facts(inputs, scenario)
    used: dict[tuple[str, str, str], float] = defaultdict(float)
    plan = tables.plan.assign(period=_terms_period(tables.plan))
    for supplier, material, period, quantity in plan[
        ["supplier", "material", "period", "quantity"]
    ].itertuples(index=False, name=None):
        used[(supplier, material, period)] += quantity
    problems = []
    for (supplier, material, period), quantity in used.items():
        cap = _capacity_of(facts, facts.offers[(supplier, material)], facts.period[period])
        if _above(quantity, cap):
            problems.append(
                f"capacity: {supplier} / {material} delivers {quantity:g} t in {period}, "
                f"capacity {cap:g} t"
            )
    return problems


def _lanes(inputs: Inputs) -> dict[tuple[str, str, str], bool]:
    return {(r.supplier, r.material, r.site): r.allowed for r in inputs.lanes.itertuples()}


def _delivery_faults(
    facts: _Facts, allowed: dict, offer: dict, site: str, t: int, arrives: int, where: str
) -> list[str]:
    """Why a delivery of `offer` to `site` with the terms of period t, arriving in period
    `arrives`, cannot exist: window, lead time + licence delay, ban, Lanes, exclusion."""
    end_use = facts.end_use[site]
    rules = facts.matching(offer, end_use, t)
    delay = max((rule.delay_days for rule in rules), default=0.0)
    lead = offer["lead_time"] + math.ceil(delay / facts.inputs.settings.period_days - 1e-9)
    chain = {offer[column] for column in CHAIN}
    faults = []
    if not offer["first"] <= t <= offer["last"]:
        faults.append(f"window: {where} is outside the availability window")
    if arrives < lead:
        faults.append(f"lead time: {where} arrives before {lead} period(s) have passed")
    if math.prod(rule.approval for rule in rules) <= 0:
        faults.append(f"ban: {where} is banned (approval 0)")
    if not allowed.get((offer["supplier"], offer["material"], site), True):
        faults.append(f"lanes: {where} is not allowed by Lanes")
    if canonical(end_use) == DEFENSE and any(facts.covered[c] for c in chain):
        faults.append(f"defense: {where} touches a covered country")
    return faults


def check_deliveries(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Every delivery respects window, lead time + licence delay, Lanes and exclusions."""
    facts, allowed = _Facts(inputs, scenario), _lanes(inputs)
    problems = []
    plan = tables.plan.assign(terms=_terms_period(tables.plan))
    for supplier, material, site, period, terms in plan[
        ["supplier", "material", "site", "period", "terms"]
    ].itertuples(index=False, name=None):
        offer = facts.offers[(supplier, material)]
        where = f"{supplier} / {material} → {site} in {period}"
        problems += _delivery_faults(
            facts, allowed, offer, site, facts.period[terms], facts.period[period], where
        )
    return problems


def _capacity_of(facts: _Facts, offer: dict, t: int) -> float:
    """cap[o,t]: capacity × Π capacity_factor of the end_use `*` rules in force in t."""
    return offer["capacity"] * math.prod(r.capacity_factor for r in facts.matching(offer, None, t))


def check_contracts(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Take-or-pay (11) from the Plan and Contracts tables: each offer owes min(min_total,
    Σ cap over the periods in which some site needing it can take a delivery); taken is
    Σ of its Plan rows; what is not taken covers owed − taken, and the cost reported is
    Σ take_or_pay_price × not taken."""
    facts, allowed = _Facts(inputs, scenario), _lanes(inputs)
    sites: dict[str, set[str]] = defaultdict(set)
    for site, material in tables.stock[["site", "material"]].itertuples(index=False, name=None):
        sites[material].add(site)
    taken = tables.plan.groupby(["supplier", "material"])["quantity"].sum().to_dict()
    reported = {(r.supplier, r.material): r for r in tables.contracts.itertuples()}
    problems, paid = [], 0.0
    for key, offer in facts.offers.items():
        if offer["min_total"] <= 0:
            continue
        cap = [_capacity_of(facts, offer, t) for t in range(len(inputs.periods))]
        live = [t for t, level in enumerate(cap) if level > 0
                and any(not _delivery_faults(facts, allowed, offer, site, t, t, "")
                        for site in sites[offer["material"]])]  # fmt: skip
        owed = min(offer["min_total"], sum(cap[t] for t in live))
        row, got = reported.get(key), taken.get(key, 0.0)
        name = " / ".join(key)
        if row is None:
            problems.append(f"take-or-pay: {name} is missing from the Contracts table")
            continue
        if not (_close(row.owed_t, owed) and _close(row.taken_t, got)):
            problems.append(f"take-or-pay: {name} owes {owed:g} t and took {got:g} t, "
                            f"reported {row.owed_t:g} t and {row.taken_t:g} t")  # fmt: skip
        if _above(owed - got, row.not_taken_t):
            problems.append(f"take-or-pay: {name} leaves {owed - got:g} t untaken, "
                            f"reported {row.not_taken_t:g} t")  # fmt: skip
        paid += offer["take_or_pay_price"] * row.not_taken_t
    if not _close(paid, tables.summary.take_or_pay):
        problems.append(f"take-or-pay: {paid:,.2f} owed for nothing, "
                        f"reported {tables.summary.take_or_pay:,.2f}")  # fmt: skip
    return problems


def check_terms(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Each plan row's approval, licensed flag, landed cost and risk cost are those of the
    rules in force in its period; Stock's cover_needed is Σ (1 − approval) × licensed
    tonnes, and opening stock plus the cover gap covers it (constraint 6)."""
    facts = _Facts(inputs, scenario)
    disruption = inputs.materials["disruption_cost"].to_dict()
    freight = {
        (row.supplier, row.material, row.site): row.freight
        for row in inputs.lanes.itertuples()
        if row.freight == row.freight
    }
    tariff = inputs.countries["tariff"].to_dict()
    cover: dict[tuple[str, str, str], float] = defaultdict(float)
    problems = []
    plan = tables.plan.assign(terms=_terms_period(tables.plan))
    for row in plan.to_dict("records"):
        offer = facts.offers[(row["supplier"], row["material"])]
        lane = (row["supplier"], row["material"], row["site"])
        rules = facts.matching(offer, facts.end_use[row["site"]], facts.period[row["terms"]])
        approval = math.prod(rule.approval for rule in rules)
        licensed = approval < 1 or max((rule.delay_days for rule in rules), default=0.0) > 0
        rate = tariff[offer["country"]] + sum(rule.extra_tariff for rule in rules)
        price = facts.unit_cost(offer, facts.period[row["terms"]])
        landed = price * math.prod(rule.cost_factor for rule in rules) * (1 + rate) + freight.get(
            lane, offer["freight"]
        )
        where = f"{' / '.join(lane)} in {row['period']}"
        if not _close(row["approval"], approval):
            problems.append(f"approval: {where} is {row['approval']:g}, expected {approval:g}")
        if (row["licensed"] == "yes") != licensed:
            problems.append(f"licensed: {where} is {row['licensed']}, expected {licensed}")
        if not _close(row["landed_cost"], landed):
            problems.append(f"landed cost: {where} is {row['landed_cost']:g}, expected {landed:g}")
        risk = inputs.settings.risk_weight * (1 - approval) * disruption[row["material"]]
        if not _close(row["risk_cost"], risk * row["quantity"], abs(risk)):
            problems.append(
                f"risk cost: {where} is {row['risk_cost']:g}, expected {risk * row['quantity']:g}"
            )
        if licensed:
            cover[(row["site"], row["material"], row["period"])] += (1 - approval) * row["quantity"]
    for row in tables.stock.to_dict("records"):
        expected = cover.get((row["site"], row["material"], row["period"]), 0.0)
        where = f"{row['site']} / {row['material']} in {row['period']}"
        if not _close(row["cover_needed"], expected):
            problems.append(
                f"cover: {where} needs {row['cover_needed']:g} t, expected {expected:g} t"
            )
        if _above(expected, row["opening"] + row["cover_gap"]):
            problems.append(
                f"cover: {where}: {expected:g} t expected denied exceed opening stock "
                f"{row['opening']:g} t plus the cover gap {row['cover_gap']:g} t"
            )
    return problems


def _by_key(frame, periods: list[str]) -> dict[tuple[str, str, str], float]:
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for site, material, period, quantity in frame[
        ["site", "material", "period", "quantity"]
    ].itertuples(index=False, name=None):
        totals[(site, material, periods[period] if isinstance(period, int) else period)] += quantity
    return totals


def _run_flows(tables: PlanTables) -> tuple[dict, dict]:
    """(made, consumed) per (site, material, period) from the Production table: outputs
    in the period they are ready, inputs in the period a run starts."""
    made: dict[tuple[str, str, str], float] = defaultdict(float)
    consumed: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in tables.production.to_dict("records"):
        made[(row["site"], row["material"], row["ready_period"])] += row["made_t"]
        consumed[(row["site"], row["material"], row["start_period"])] += row["consumed_t"]
    return made, consumed


def check_balance(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Opening + receipts + pipeline + made + shortfall = demand + consumed + closing (runs
    from the Production table, SPEC §8); shortfall at most the demand (SPEC v3); stock
    within limits."""
    made, consumed = _run_flows(tables)
    receipts = _by_key(tables.plan, inputs.periods)
    demand = _by_key(inputs.demand.astype({"period": int}), inputs.periods)
    pipeline = _by_key(inputs.pipeline.astype({"period": int}), inputs.periods)
    limits = {(r["site"], r["material"]): r for r in inputs.stock.to_dict("records")}
    problems = []
    previous: dict[tuple[str, str], float] = {}
    for row in tables.stock.to_dict("records"):
        point = (row["site"], row["material"])
        key = (*point, row["period"])
        limit = limits.get(point, {"initial": 0.0, "max": math.inf})
        expected = {
            "opening": previous.get(point, limit["initial"]),
            "receipts": receipts.get(key, 0.0),
            "demand": demand.get(key, 0.0) * scenario.demand_factor,
            "pipeline": pipeline.get(key, 0.0),
        }
        for column, value in expected.items():
            if not _close(row[column], value):
                problems.append(f"{column}: {key} is {row[column]}, expected {value}")
        residual = (
            expected["opening"] + row["receipts"] + row["pipeline"] + row["shortfall"]
            + made.get(key, 0.0) - consumed.get(key, 0.0) - row["demand"] - row["closing"]
        )  # fmt: skip
        if not _close(residual, 0.0, max(row["demand"], row["closing"])):
            problems.append(f"balance: {key} does not balance (residual {residual:g} t)")
        if row["closing"] < -TOLERANCE or row["shortfall"] < -TOLERANCE:
            problems.append(f"sign: {key} has negative stock or shortfall")
        if _above(row["shortfall"], row["demand"]):
            problems.append(f"shortfall: {key} leaves {row['shortfall']:g} t unmet, above its "
                            f"demand of {row['demand']:g} t")  # fmt: skip
        if _above(row["closing"], limit["max"]):
            problems.append(
                f"storage: {key} holds {row['closing']:g} t above max {limit['max']:g} t"
            )
        previous[point] = row["closing"]
    return problems + _site_storage(inputs, tables)


def _site_storage(inputs: Inputs, tables: PlanTables) -> list[str]:
    """Σ closing stock of a site's materials ≤ its storage in every period (10)."""
    held = tables.stock.groupby(["site", "period"], sort=False)["closing"].sum()
    storage = inputs.sites["storage"]
    return [
        f"site storage: {site} holds {tonnes:g} t in {period}, storage {storage[site]:g} t"
        for (site, period), tonnes in held.items()
        if _above(tonnes, storage[site])
    ]


def check_budget(inputs: Inputs, tables: PlanTables) -> list[str]:
    """Landed spend delivered in a period stays within its budget."""
    spend = tables.plan.groupby("period")["total_cost"].sum()
    problems = []
    for label, budget in zip(inputs.periods, inputs.budget, strict=True):
        used = float(spend.get(label, 0.0))
        if budget is not None and _above(used, budget):
            problems.append(f"budget: {label} spends {used:,.2f}, budget {budget:,.2f}")
    return problems


def check_shares(inputs: Inputs, tables: PlanTables) -> list[str]:
    """Tonnes of a material whose chain touches a country ≤ max_share × the material's total."""
    capped = {c: s for c, s in inputs.countries["max_share"].items() if s < 1}
    total: dict[str, float] = defaultdict(float)
    touching: dict[tuple[str, str], float] = defaultdict(float)
    for material, quantity, *chain in tables.plan[["material", "quantity", *CHAIN]].itertuples(
        index=False, name=None
    ):
        total[material] += quantity
        for country in set(chain) & capped.keys():
            touching[(material, country)] += quantity
    return [
        f"share: {tonnes:g} t of {material} touches {country}, above "
        f"{capped[country]:.0%} of {total[material]:g} t"
        for (material, country), tonnes in touching.items()
        if _above(tonnes, capped[country] * total[material])
    ]


def check_costs(tables: PlanTables) -> list[str]:
    """The reported cost terms add up to the objective."""
    total = sum(tables.summary.terms.values())
    if not _close(total, tables.objective):
        return [f"costs: terms add up to {total:,.6f}, objective is {tables.objective:,.6f}"]
    return []


def check_integer_terms(inputs: Inputs, tables: PlanTables) -> list[str]:
    """SPEC §7 from the Plan table: every period's delivery of an offer is 0 or at least
    its min_order; at most max_suppliers offers of a material deliver; the fixed cost
    reported covers every offer that delivers."""
    offers = inputs.offers.set_index(["supplier", "material"])
    problems = []
    own = tables.plan  # a committed order's lot is on the order itself (SPEC §6, §7)
    if ORDERED_FOR in own:
        own = own[own[ORDERED_FOR].isna()]
    per_period = own.groupby(["supplier", "material", "period"])["quantity"].sum()
    lots = offers["min_order"].reindex(per_period.index.droplevel("period")).to_numpy(float)
    short = lots > per_period.to_numpy(float) + TOLERANCE * np.maximum(1.0, per_period.to_numpy())
    for ((supplier, material, period), quantity), lot in zip(
        per_period[short].items(), lots[short], strict=True
    ):
        problems.append(
            f"min_order: {supplier} / {material} delivers {quantity:g} t in {period}, "
            f"below its lot of {lot:g} t"
        )
    used = tables.plan.groupby(["supplier", "material"])["quantity"].sum().index
    for material, count in used.to_frame()["material"].value_counts().items():
        limit = inputs.materials.at[material, "max_suppliers"]
        if count > limit:
            problems.append(f"max_suppliers: {count} offers of {material} deliver, cap {limit:g}")
    paid = float(offers.loc[list(used), "fixed_cost"].sum()) if len(used) else 0.0
    if _above(paid, tables.summary.fixed):
        problems.append(f"fixed: offers that deliver cost {paid:,.2f} to onboard, reported less")
    return problems


def check_production(inputs: Inputs, tables: PlanTables) -> list[str]:
    """SPEC §8 from the Production table: each run of a recipe starts in its window, is
    ready ℓ_r periods later within the horizon and at most its capacity; each material it
    consumes or makes is runs × its RecipeItems row; the conversion reported is Σ F_r·runs."""
    if tables.production.empty:
        return []
    recipes, period = inputs.recipes, {label: t for t, label in enumerate(inputs.periods)}
    amounts = {
        (r.recipe, r.material): (r.input, r.output) for r in inputs.recipe_items.itertuples()
    }
    runs = tables.production.groupby(["recipe", "start_period"])["runs"].transform("first")
    problems, cost = [], 0.0
    for row, count in zip(tables.production.to_dict("records"), runs.tolist(), strict=True):
        recipe, start = row["recipe"], period[row["start_period"]]
        facts = recipes.loc[recipe]
        where = f"{recipe} started in {row['start_period']}"
        capacity = facts["capacity"] if np.isfinite(facts["capacity"]) else math.inf
        if not facts["first"] <= start <= facts["last"]:
            problems.append(f"recipe window: {where} is outside its window")
        if period[row["ready_period"]] != start + facts["lead_time"]:
            problems.append(f"recipe lead time: {where} is ready in {row['ready_period']}")
        if _above(count, capacity):
            problems.append(f"recipe capacity: {where} runs {count:g} times, capacity {capacity:g}")
        used, made = amounts.get((recipe, row["material"]), (0.0, 0.0))
        if not (_close(row["consumed_t"], used * count) and _close(row["made_t"], made * count)):
            problems.append(f"recipe items: {where} moves the wrong t of {row['material']}")
        if pd.notna(row["runs"]):  # the run's own figures are on its first row
            cost += count * facts["cost"]
    if not _close(cost, tables.summary.conversion):
        problems.append(
            f"conversion: runs cost {cost:,.2f}, reported {tables.summary.conversion:,.2f}"
        )
    return problems


def check_cost_bound(terms: dict[str, float], bound: float) -> list[str]:
    """A stable plan (SPEC §5) costs at most the bound its tolerance allows: its cost
    terms, re-added here, against (1 + tolerance) × the optimum."""
    total = sum(terms.values())
    if _above(total, bound):
        return [f"stability: the plan costs {total:,.6f}, above the allowed {bound:,.6f}"]
    return []


def check_plan(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Every violation found; an empty list means the plan passed."""
    return (
        check_capacity(inputs, scenario, tables)
        + check_deliveries(inputs, scenario, tables)
        + check_terms(inputs, scenario, tables)
        + check_balance(inputs, scenario, tables)
        + check_budget(inputs, tables)
        + check_shares(inputs, tables)
        + check_costs(tables)
        + check_integer_terms(inputs, tables)
        + check_production(inputs, tables)
        + check_contracts(inputs, scenario, tables)
    )
