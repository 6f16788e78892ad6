"""A plan's Summary (SPEC §4, §7): its cost terms, measures and provenance, built once.

`plan_summary` is the one place a summary is made: a scenario's plan tables, a sweep's
samples and each scenario of the robust plan all take theirs from it. `PlanSummary` is
what the Summary sheet, the console and `--json` show, in the order of `as_record`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from models.data import ModelData
from optimizer.domain.derive import Instance
from optimizer.plan import spend
from optimizer.plan.values import Values
from optimizer.solver.highs import Solution

COST_TERMS = (
    "purchase", "tariff", "freight", "risk", "holding", "shortage", "safety", "salvage", "fixed",
    "conversion", "take_or_pay",
)  # fmt: skip
"""The reported cost terms of SPEC §2, §7 and §8, in order; they add up to the objective."""


def as_stored(value: float) -> float:
    """A number as the plan workbook stores it (16 significant digits, like xlsxwriter),
    so the Summary sheet and `--json` report the very same value."""
    return float(f"{value:.16g}")


def cost_terms(instance: Instance, values: Values) -> dict[str, float]:
    """The reported cost terms of SPEC §2; they add up to the objective."""
    deliveries, data = instance.deliveries, instance.data
    x = values.buy
    safety = data.safety_penalty_per_t[:, None] * (
        values.floor_gap + values.cover_gap + values.end_gap
    )
    return {
        "purchase": float(deliveries["purchase_per_t"].to_numpy() @ x),
        "tariff": float(deliveries["tariff_per_t"].to_numpy() @ x),
        "freight": float(deliveries["freight_per_t"].to_numpy() @ x),
        "risk": float(data.risk_cost_per_t @ x),
        "holding": float((data.holding_cost_per_t[:, None] * values.stock).sum()),
        "shortage": float((data.shortage_penalty_per_t[:, None] * values.shortfall).sum()),
        "safety": float(safety.sum()),
        "salvage": 0.0 - float(data.salvage_value_per_t @ values.stock[:, -1]),
        "fixed": float(values.onboarded @ data.fixed_cost) if len(values.onboarded) else 0.0,
        "conversion": float(data.recipe_cost[data.run_recipe] @ values.runs),
        "take_or_pay": float(data.contract_price @ values.unpaid),
    }


def made_tonnes(data: ModelData, runs: np.ndarray) -> float:
    """Σ outputs of every run: the t made at the buyer's sites (SPEC §8 `made_t`)."""
    per_recipe = np.bincount(data.run_recipe, runs, len(data.recipe_cost))
    return float(data.item_output @ per_recipe[data.item_recipe]) if len(data.item_recipe) else 0.0


@dataclass(frozen=True)
class PlanSummary:
    """One solved scenario's Summary, in the order of the Summary sheet."""

    scenario: str
    status: str
    """`optimal`, or `time limit` for an integer plan not proven optimal (SPEC §7)"""
    objective: float
    purchase: float
    tariff: float
    freight: float
    risk: float
    holding: float
    shortage: float
    safety: float
    salvage: float
    fixed: float
    conversion: float
    """conversion and tolling at the buyer's sites: Σ F_r·n (SPEC §8)"""
    take_or_pay: float
    """paid for committed volume not taken: Σ take_or_pay_price·g (SPEC §2, 11)"""
    cash_spend: float
    """paid out: purchase + tariff + freight + fixed + conversion + take_or_pay"""
    penalties: float
    shortfall_t: float
    purchased_t: float
    made_t: float
    """Σ outputs of every recipe run (SPEC §8)"""
    licensed_share: float
    solve_seconds: float
    mip_gap: float
    input_sha256: str
    input_file: str
    currency: str
    demand_factor: float
    scenario_chain: str
    scenario_description: str | None
    periods: str
    delivery_variables: int
    suppliers_used: int
    """distinct suppliers that deliver anything"""
    offers_used: int
    """distinct (supplier, material) offers that deliver anything"""
    integer_model: str
    created_utc: str

    @property
    def terms(self) -> dict[str, float]:
        """The cost terms, by name (`COST_TERMS`)."""
        return {term: getattr(self, term) for term in COST_TERMS}

    def measure(self, name: str) -> float:
        """A cost term or measure by name (for tables of many scenarios)."""
        return float(getattr(self, name))

    def as_record(self) -> dict[str, object]:
        """Metric → value, in the order of the Summary sheet (and `--json`)."""
        return dataclasses.asdict(self)


def _used_counts(instance: Instance, buy: np.ndarray) -> tuple[int, int]:
    """(distinct suppliers, distinct offers) that deliver anything."""
    offers = np.unique(instance.data.offer[buy > 0])
    suppliers = instance.offers["supplier"].to_numpy()[offers]
    return len(set(suppliers.tolist())), len(offers)


def plan_summary(instance: Instance, values: Values, solution: Solution) -> PlanSummary:
    """The Summary of one solved scenario of `instance`."""
    scenario, inputs = instance.scenario, instance.inputs
    terms = cost_terms(instance, values)
    purchased = float(values.buy.sum())
    licensed = instance.deliveries["licensed"].to_numpy(bool)
    suppliers, offers = _used_counts(instance, values.buy)
    stored = {name: as_stored(value) for name, value in terms.items()}
    return PlanSummary(
        scenario=scenario.name,
        status=solution.status,
        objective=as_stored(solution.objective),
        **stored,
        cash_spend=as_stored(spend.cash_spend(terms)),
        penalties=as_stored(spend.penalties(terms)),
        shortfall_t=as_stored(float(values.shortfall.sum())),
        purchased_t=as_stored(purchased),
        made_t=as_stored(made_tonnes(instance.data, values.runs)),
        licensed_share=as_stored(
            float(values.buy[licensed].sum()) / purchased if purchased else 0.0
        ),
        solve_seconds=as_stored(solution.seconds),
        mip_gap=as_stored(solution.mip_gap or 0.0),
        input_sha256=inputs.sha256,
        input_file=inputs.file,
        currency=inputs.settings.currency,
        demand_factor=as_stored(scenario.demand_factor),
        scenario_chain=" → ".join(scenario.chain),
        scenario_description=scenario.description,
        periods=f"{inputs.periods[0]} … {inputs.periods[-1]}",
        delivery_variables=instance.data.deliveries,
        suppliers_used=suppliers,
        offers_used=offers,
        integer_model="yes" if solution.mip_gap is not None else "no",
        created_utc=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    )
