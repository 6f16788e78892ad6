"""Check a plan against the inputs, without Pyomo and without the model's derived data.

The rules needed here (capacity factors, delays, exclusions) are re-derived with plain
loops from the workbook's tables, so a bug in the vectorised derivation cannot vouch
for itself. A plan that fails is never written (exit 1).
"""

from __future__ import annotations

import math

import pandas as pd

from optimizer.inputs import Inputs
from optimizer.results import COST_TERMS, PlanTables
from optimizer.scenarios import Scenario
from optimizer.schema import ANY, DEFENSE
from optimizer.workbook import canonical

TOLERANCE = 1e-6


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _matching(inputs: Inputs, rules: pd.DataFrame, offer: pd.Series, end_use: str | None):
    chain = {offer["country"], offer["refined_in"], offer["mined_in"]}
    elements = set(inputs.materials.at[offer["material"], "elements"])
    for rule in rules.itertuples():
        item_ok = rule.item in (ANY, offer["material"]) or rule.item in elements
        use_ok = rule.end_use == ANY or (
            end_use is not None and canonical(rule.end_use) == canonical(end_use)
        )
        if rule.country in chain and item_ok and use_ok:
            yield rule


def _offer_table(inputs: Inputs) -> dict[tuple[str, str], pd.Series]:
    return {(row["supplier"], row["material"]): row for _, row in inputs.offers.iterrows()}


def check_capacity(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Σ over sites of a supplier's deliveries in a period ≤ capacity × Π capacity_factor."""
    offers = _offer_table(inputs)
    used = tables.plan.groupby(["supplier", "material", "period"])["quantity"].sum()
    problems = []
    for (supplier, material, period), quantity in used.items():
        offer = offers[(supplier, material)]
        cap = offer["capacity"]
        for rule in _matching(inputs, scenario.rules, offer, None):
            cap *= rule.capacity_factor
        if quantity > cap + TOLERANCE * max(1.0, cap):
            problems.append(
                f"capacity: {supplier} / {material} delivers {quantity:g} t in {period}, "
                f"capacity {cap:g} t"
            )
    return problems


def check_deliveries(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Every delivery respects window, lead time + licence delay, Lanes and exclusions."""
    offers = _offer_table(inputs)
    position = {label: index for index, label in enumerate(inputs.periods)}
    lanes = {
        (row.supplier, row.material, row.site): row.allowed for row in inputs.lanes.itertuples()
    }
    terms: dict[tuple[str, str, str], tuple[int, float, bool]] = {}
    problems = []
    for row in tables.plan.itertuples():
        offer = offers[(row.supplier, row.material)]
        lane = (row.supplier, row.material, row.site)
        if lane not in terms:
            end_use = inputs.sites.at[row.site, "end_use"]
            rules = list(_matching(inputs, scenario.rules, offer, end_use))
            delay = max((rule.delay_days for rule in rules), default=0.0)
            lead = offer["lead_time"] + math.ceil(delay / inputs.settings.period_days - 1e-9)
            chain = {offer["country"], offer["refined_in"], offer["mined_in"]}
            excluded = canonical(end_use) == DEFENSE and any(
                inputs.countries.at[country, "covered"] for country in chain
            )
            terms[lane] = (lead, math.prod(rule.approval for rule in rules), excluded)
        lead, approval, excluded = terms[lane]
        t = position[row.period]
        where = f"{row.supplier} / {row.material} → {row.site} in {row.period}"
        if not offer["first"] <= t <= offer["last"]:
            problems.append(f"window: {where} is outside the availability window")
        if t < lead:
            problems.append(f"lead time: {where} arrives before {lead} period(s) have passed")
        if approval <= 0:
            problems.append(f"ban: {where} is banned (approval 0)")
        if not lanes.get(lane, True):
            problems.append(f"lanes: {where} is not allowed by Lanes")
        if excluded:
            problems.append(f"defense: {where} touches a covered country")
    return problems


def check_budget(inputs: Inputs, tables: PlanTables) -> list[str]:
    """Landed spend delivered in a period stays within its budget."""
    spend = tables.plan.groupby("period")["total_cost"].sum()
    problems = []
    for label, budget in zip(inputs.periods, inputs.budget, strict=True):
        used = float(spend.get(label, 0.0))
        if budget is not None and used > budget + TOLERANCE * max(1.0, budget):
            problems.append(f"budget: {label} spends {used:,.2f}, budget {budget:,.2f}")
    return problems


def check_shares(inputs: Inputs, tables: PlanTables) -> list[str]:
    """Tonnes of a material whose chain touches a country ≤ max_share × the material's total."""
    plan = tables.plan
    problems = []
    for material, rows in plan.groupby("material"):
        total = rows["quantity"].sum()
        chains = rows[["country", "refined_in", "mined_in"]].to_numpy()
        for country, limit in inputs.countries["max_share"].items():
            if limit >= 1:
                continue
            touching = sum(
                q for q, chain in zip(rows["quantity"], chains, strict=True) if country in chain
            )
            if touching > limit * total + TOLERANCE * max(1.0, total):
                problems.append(
                    f"share: {touching:g} t of {material} touches {country}, "
                    f"above {limit:.0%} of {total:g} t"
                )
    return problems


def check_balance(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Opening + receipts + pipeline + shortfall = demand + closing; stock within limits."""
    stock = tables.stock
    receipts = tables.plan.groupby(["site", "material", "period"])["quantity"].sum()
    demand = inputs.demand.assign(period=[inputs.periods[t] for t in inputs.demand["period"]])
    demand = demand.set_index(["site", "material", "period"])["quantity"]
    pipeline = inputs.pipeline.assign(period=[inputs.periods[t] for t in inputs.pipeline["period"]])
    pipeline = pipeline.set_index(["site", "material", "period"])["quantity"]
    limits = inputs.stock.set_index(["site", "material"])
    problems = []
    previous: dict[tuple[str, str], float] = {}
    for row in stock.itertuples():
        key = (row.site, row.material, row.period)
        point = (row.site, row.material)
        initial = limits.at[point, "initial"] if point in limits.index else 0.0
        opening = previous.get(point, initial)
        expected = {
            "opening": opening,
            "receipts": float(receipts.get(key, 0.0)),
            "demand": float(demand.get(key, 0.0)) * scenario.demand_factor,
            "pipeline": float(pipeline.get(key, 0.0)),
        }
        for column, value in expected.items():
            if not _close(getattr(row, column), value):
                problems.append(f"{column}: {key} is {getattr(row, column)}, expected {value}")
        residual = opening + row.receipts + row.pipeline + row.shortfall - row.demand - row.closing
        if not _close(residual, 0.0, max(row.demand, row.closing)):
            problems.append(f"balance: {key} does not balance (residual {residual:g} t)")
        if row.closing < -TOLERANCE or row.shortfall < -TOLERANCE:
            problems.append(f"sign: {key} has negative stock or shortfall")
        limit = limits.at[point, "max"] if point in limits.index else math.inf
        if row.closing > limit + TOLERANCE * max(1.0, limit):
            problems.append(f"storage: {key} holds {row.closing:g} t above max {limit:g} t")
        previous[point] = row.closing
    return problems


def check_costs(tables: PlanTables) -> list[str]:
    """The reported cost terms add up to the objective."""
    total = sum(float(tables.summary[term]) for term in COST_TERMS)  # type: ignore[arg-type]
    if not _close(total, tables.objective):
        return [f"costs: terms add up to {total:,.6f}, objective is {tables.objective:,.6f}"]
    return []


def check_plan(inputs: Inputs, scenario: Scenario, tables: PlanTables) -> list[str]:
    """Every violation found; an empty list means the plan passed."""
    return (
        check_capacity(inputs, scenario, tables)
        + check_deliveries(inputs, scenario, tables)
        + check_balance(inputs, scenario, tables)
        + check_budget(inputs, tables)
        + check_shares(inputs, tables)
        + check_costs(tables)
    )
