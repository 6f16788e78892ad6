"""Solved instance → the plan tables of SPEC §4 (pandas DataFrames, names not positions)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models import components
from optimizer.domain.derive import Instance
from optimizer.domain.words import CHAIN
from optimizer.plan import insights, production
from optimizer.plan.contracts import contract_warnings, contracts
from optimizer.plan.onboarding import integer_warnings, onboarded_offers
from optimizer.plan.summary import PlanSummary, plan_summary
from optimizer.plan.values import (
    Values,
    clean,
    flows,
    offer_tonnes,
    site_stock,
    solution_values,
)
from optimizer.problems import Problem
from optimizer.solver.highs import Solution

ORDERED_FOR = "ordered_for"
"""The Plan column of a robust plan's committed order: the period it was ordered for."""


@dataclass(frozen=True)
class PlanTables:
    """Everything the plan workbook and the command-line summary show."""

    summary: PlanSummary
    plan: pd.DataFrame
    stock: pd.DataFrame
    mix: pd.DataFrame
    capacity: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    marginal_costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    limits: pd.DataFrame = field(default_factory=pd.DataFrame)
    savings: pd.DataFrame = field(default_factory=pd.DataFrame)
    countries: tuple[str, ...] = ()
    """the input's countries in sheet order (each keeps one chart colour)"""
    """exact savings of stated relaxations of the binding limits (`plan.savings`)"""
    unused: pd.DataFrame = field(default_factory=pd.DataFrame)
    exposure: pd.DataFrame = field(default_factory=pd.DataFrame)
    licensed_by: pd.DataFrame = field(default_factory=pd.DataFrame)
    shortfalls: pd.DataFrame = field(default_factory=pd.DataFrame)
    onboarded: pd.DataFrame = field(default_factory=pd.DataFrame)
    """offers with an onboarding binary (SPEC §7): used or not, and what that costs"""
    production: pd.DataFrame = field(default_factory=pd.DataFrame)
    """the recipes' runs, what they consume and make (SPEC §8); empty without recipes"""
    make_or_buy: pd.DataFrame = field(default_factory=pd.DataFrame)
    """per material: t bought and t made"""
    elements: pd.DataFrame = field(default_factory=pd.DataFrame)
    """per element and period: bought, made, consumed, demanded, held (with content)"""
    element_countries: pd.DataFrame = field(default_factory=pd.DataFrame)
    """per element and country: t bought through chains touching it, expected denied"""
    contracts: pd.DataFrame = field(default_factory=pd.DataFrame)
    """take-or-pay offers: committed, excused, owed, taken, not taken, paid (SPEC §2, 11)"""

    @property
    def objective(self) -> float:
        """The objective as reported (HiGHS's value)."""
        return self.summary.objective


def _plan(instance: Instance, values: Values) -> pd.DataFrame:
    """One row per delivery bought. A robust plan's scenario (SPEC §6) adds `ordered_for`:
    for an order committed now, the delivery period it was placed for (whose terms and
    capacity it has; it may arrive later); blank for the scenario's own orders."""
    periods = instance.inputs.periods
    bought = instance.deliveries.assign(quantity=values.buy)
    bought = bought[bought["quantity"] > 0]
    plan = pd.DataFrame(
        {
            "supplier": bought["supplier"],
            "material": bought["material"],
            "country": bought["country"],
            "refined_in": bought["refined_in"],
            "mined_in": bought["mined_in"],
            "site": bought["site"],
            "period": [periods[t] for t in bought["period"]],
            "order_by": [periods[t] for t in bought["period"] - bought["lead_periods"]],
            "quantity": bought["quantity"],
            "landed_cost": bought["landed_per_t"],
            "total_cost": bought["landed_per_t"] * bought["quantity"],
            "risk_cost": bought["risk_per_t"] * bought["quantity"],
            "licensed": bought["licensed"].map({True: "yes", False: "no"}),
            "approval": bought["approval"],
        }
    ).reset_index(drop=True)
    if "planned" in bought:
        ordered = [periods[t] if c else None for t, c in zip(bought["planned"], bought["committed"],
                                                               strict=True)]  # fmt: skip
        plan.insert(7, ORDERED_FOR, ordered)
    return plan


def _stock(instance: Instance, values: Values) -> pd.DataFrame:
    data, points = instance.data, instance.points
    periods = data.periods
    receipts = np.zeros((data.points, periods))
    np.add.at(receipts, (data.point, data.period), values.buy)
    cover = np.zeros((data.points, periods))
    np.add.at(cover, (data.point, data.period), data.denial_share * values.buy)
    opening = np.concatenate([data.initial_t[:, None], values.stock[:, :-1]], axis=1)
    frame = pd.DataFrame(
        {
            "site": np.repeat(points["site"].to_numpy(), periods),
            "material": np.repeat(points["material"].to_numpy(), periods),
            "period": np.tile(instance.inputs.periods, data.points),
            "opening": opening.ravel(),
            "receipts": receipts.ravel(),
            "pipeline": data.pipeline_t.ravel(),
            "demand": data.demand_t.ravel(),
            "shortfall": values.shortfall.ravel(),
            "closing": values.stock.ravel(),
            "min": np.repeat(data.min_t, periods),
            "max": np.repeat(np.where(np.isfinite(data.max_t), data.max_t, np.nan), periods),
            "cover_needed": clean(cover).ravel(),
            "floor_gap": values.floor_gap.ravel(),
            "cover_gap": values.cover_gap.ravel(),
        }
    )
    if len(data.storage_limit):  # SPEC §2 (10): what each site holds against its storage
        site = np.repeat(data.point_storage, periods)
        held = site_stock(data, values.stock)
        frame.insert(
            frame.columns.get_loc("max") + 1,
            "site_storage",
            np.where(site >= 0, data.storage_limit[site], np.nan),
        )
        frame.insert(
            frame.columns.get_loc("max") + 2,
            "site_stock",
            np.where(site >= 0, held[site, np.tile(np.arange(periods), data.points)], np.nan),
        )
    if data.runs:  # SPEC §8: what runs make and consume at the site
        made, consumed = flows(data, values.runs)
        frame.insert(6, "made", clean(made).ravel())
        frame.insert(7, "consumed", clean(consumed).ravel())
    return frame


def _mix(instance: Instance, values: Values) -> pd.DataFrame:
    """Per material and country its chain touches: tonnes bought whose chain touches it,
    their share of the material's tonnes, the cap, and tonnes shipped from it; each
    material's rows (in Materials order) by tonnes touching, then country name."""
    columns = ["material", "country", "touching_t", "share", "max_share", "shipped_from_t"]
    offers = instance.offers
    chains = offers[list(CHAIN)].to_numpy(object)
    materials, countries = offers["material"].to_numpy(object), offers["country"].to_numpy(object)
    tonnes = offer_tonnes(instance.data, np.where(values.buy > 0, values.buy, 0.0))
    touching: dict[tuple[str, str], float] = {}
    shipped: dict[tuple[str, str], float] = {}
    totals: dict[str, float] = {}
    for o in np.flatnonzero(tonnes > 0).tolist():
        material, quantity = materials[o], float(tonnes[o])
        totals[material] = totals.get(material, 0.0) + quantity
        for country in set(chains[o].tolist()):
            touching[(material, country)] = touching.get((material, country), 0.0) + quantity
        key = (material, countries[o])
        shipped[key] = shipped.get(key, 0.0) + quantity
    if not touching:
        return pd.DataFrame(columns=columns)
    order = {name: i for i, name in enumerate(instance.inputs.materials.index)}
    keys = sorted(touching, key=lambda key: (order[key[0]], -touching[key], key[1]))
    mix = pd.DataFrame(keys, columns=["material", "country"])
    mix["touching_t"] = [touching[key] for key in keys]
    mix["share"] = mix["touching_t"] / mix["material"].map(totals)
    mix["max_share"] = instance.inputs.countries["max_share"].reindex(mix["country"]).to_numpy()
    mix["shipped_from_t"] = [shipped.get(key, 0.0) for key in keys]
    return mix[columns]


def _capacity(instance: Instance, solution: Solution, values: Values) -> pd.DataFrame:
    data, periods = instance.data, instance.data.periods
    keys = np.asarray(solution.keys.get(components.CAPACITY, []), dtype=np.int64)
    duals = solution.duals.get(components.CAPACITY, np.zeros(0))
    used = np.zeros(len(instance.offers) * periods)
    np.add.at(used, components.capacity_key(data.offer, data.period, periods), values.buy)
    offer, period = components.capacity_index(keys, periods)
    offers = instance.offers.iloc[offer]
    capacity = data.capacity_t[offer, period]
    used_here = clean(used[keys])
    return pd.DataFrame(
        {
            "supplier": offers["supplier"].to_numpy(),
            "material": offers["material"].to_numpy(),
            "country": offers["country"].to_numpy(),
            "period": [instance.inputs.periods[t] for t in period],
            "used": used_here,
            "capacity": capacity,
            "utilisation": np.divide(
                used_here, capacity, out=np.zeros_like(capacity), where=capacity > 0
            ),
            "saving_per_extra_t": clean(-np.asarray(duals, dtype=float)),
        }
    )


def _gap_warnings(instance: Instance, stock: pd.DataFrame, end_gap: np.ndarray) -> list[Problem]:
    """Shortfalls and unmet floors, cover and end targets, one line per site and material."""
    found = []
    checks = (
        ("shortfall", "unmet demand"),
        ("floor_gap", "stock below its floor (min)"),
        ("cover_gap", "stock short of licence cover"),
    )
    for column, what in checks:
        short = stock[stock[column] > 0]
        for (site, material), group in short.groupby(["site", "material"], sort=False):
            periods = group["period"].tolist()
            span = periods[0] if len(periods) == 1 else f"{periods[0]} … {periods[-1]}"
            found.append(
                Problem(
                    f"{what}: {group[column].sum():,.3f} t of {material} at {site} "
                    f"in {len(periods)} period(s) ({span})",
                    warning=True,
                )
            )
    points = instance.points
    for point in np.flatnonzero(end_gap[:, -1] > 0):
        found.append(
            Problem(
                f"end target missed by {end_gap[point, -1]:,.3f} t of "
                f"{points.at[point, 'material']} at {points.at[point, 'site']}",
                warning=True,
            )
        )
    return found


def _conversion_tables(instance: Instance, values: Values) -> dict[str, pd.DataFrame]:
    """Production and buy-or-make when the workbook has recipes, Elements when some
    material gives its content (SPEC §4, §8)."""
    found: dict[str, pd.DataFrame] = {}
    if instance.data.runs:
        found["production"] = production.production(instance, values)
        found["make_or_buy"] = production.make_or_buy(instance, values)
    if production.has_content(instance):
        found["elements"] = production.elements(instance, values)
        found["element_countries"] = production.element_countries(instance, values)
    return found


def plan_tables(instance: Instance, solution: Solution, analyses: bool = True) -> PlanTables:
    """All plan tables of one solved scenario; `analyses=False` leaves out the review
    sheets (limits, marginal costs, unused offers, exposure, shortfalls), as sweeps do."""
    values = solution_values(instance, solution)
    stock = _stock(instance, values)
    contract_table = contracts(instance, values)
    warnings = (
        list(instance.inputs.warnings)
        + list(instance.warnings)
        + _gap_warnings(instance, stock, values.end_gap)
        + contract_warnings(contract_table, instance.inputs.settings.currency)
        + integer_warnings(solution)
    )
    tables = PlanTables(
        summary=plan_summary(instance, values, solution),
        plan=_plan(instance, values),
        stock=stock,
        mix=_mix(instance, values),
        capacity=_capacity(instance, solution, values),
        warnings=warnings,
        countries=tuple(instance.inputs.countries.index),
        onboarded=onboarded_offers(instance, values.onboarded, values.buy),
        contracts=contract_table,
        **_conversion_tables(instance, values),
    )
    if not analyses:
        return tables
    limits = insights.binding_limits(instance, solution, values.buy)
    exposure, licensed_by = insights.exposure(instance, values.buy)
    return dataclasses.replace(
        tables,
        marginal_costs=insights.marginal_costs(instance, solution),
        limits=limits,
        unused=insights.unused_offers(instance, solution, values.buy),
        exposure=exposure,
        licensed_by=licensed_by,
        shortfalls=insights.shortfall_reasons(instance, values.buy, values.shortfall, limits),
    )
