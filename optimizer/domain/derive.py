"""Inputs + one scenario → the derived data of SPEC §2, as `ModelData` plus name tables.

For each offer-site pair (o, s) with (s, material(o)) ∈ SM, over the matching rules in
force: p = Π approval, D = max delay_days, cf = Π cost_factor, τ = tariff(country(o))
+ Σ extra_tariff, cap[o] = capacity × Π capacity_factor of the matching end_use `*`
rules, L = lead_time + ceil(D / period_days), c = unit_cost·cf·(1+τ) + f and
r = λ·(1−p)·disruption_cost. A delivery x[o,s,t] exists only when t > L, t is in the
offer's window, p > 0, cap > 0, Lanes allows (o, s) and not (s is `defense` and the
chain of o touches a covered country). All steps are vectorised pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.data import ModelData
from optimizer.domain.inputs import Inputs
from optimizer.domain.names import canonical
from optimizer.domain.scenarios import Scenario
from optimizer.domain.words import ANY, DEFENSE
from optimizer.problems import InputError, Problem

CHAIN = ["country", "refined_in", "mined_in"]
DELAY_TOLERANCE = 1e-9
"""ceil(D / period_days) ignores float noise below this (90 / 30 is 3 periods, not 4)."""


@dataclass(frozen=True)
class Instance:
    """One scenario ready to solve: the model's arrays and the names behind positions."""

    inputs: Inputs
    scenario: Scenario
    data: ModelData
    points: pd.DataFrame
    """one row per stock point p: site, material, initial, min, max, target_end"""
    deliveries: pd.DataFrame
    """one row per delivery i: offer, supplier, material, country, refined_in, mined_in,
    site, period, lead_periods, approval, licensed, purchase/tariff/freight per t"""
    offers: pd.DataFrame
    """Inputs.offers with `cap` (scenario capacity)"""
    shares: pd.DataFrame
    """one row per country-share cap k: material, country, limit"""
    warnings: list[Problem]
    pairs: pd.DataFrame
    """every offer-site pair (o, s) with (s, material(o)) ∈ SM and why it can or cannot
    deliver: approval, allowed, excluded, lead_periods, first, last, cap"""


def _codes(values: pd.Series, order: pd.Index) -> np.ndarray:
    return pd.Categorical(values, categories=order).codes.astype(np.int64)


def _stock_points(inputs: Inputs) -> pd.DataFrame:
    keys = pd.concat(
        [frame[["site", "material"]] for frame in (inputs.demand, inputs.stock, inputs.pipeline)]
    ).drop_duplicates()
    keys = keys.assign(
        site_code=_codes(keys["site"], inputs.sites.index),
        material_code=_codes(keys["material"], inputs.materials.index),
    ).sort_values(["site_code", "material_code"])
    points = keys.merge(inputs.stock.drop(columns="row"), on=["site", "material"], how="left")
    defaults = {"initial": 0.0, "min": 0.0, "max": np.inf, "target_end": 0.0}
    return points.fillna(defaults).reset_index(drop=True)


def _per_point_matrix(points: pd.DataFrame, table: pd.DataFrame, periods: int) -> np.ndarray:
    matrix = np.zeros((len(points), periods))
    keys = points[["site", "material"]].reset_index(names="point")
    keyed = table.merge(keys, on=["site", "material"])
    np.add.at(
        matrix,
        (keyed["point"].to_numpy(np.int64), keyed["period"].to_numpy(np.int64)),
        keyed["quantity"].to_numpy(float),
    )
    return matrix


def chain_countries(frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """One row per (row of `frame`, distinct country of its chain), with the `keep` columns."""
    long = frame.melt(id_vars=keep, value_vars=CHAIN, value_name="chain_country")
    long = long.drop(columns="variable").rename(columns={"chain_country": "country"})
    return long.drop_duplicates(subset=[*keep, "country"])


def _offer_items(inputs: Inputs) -> pd.DataFrame:
    """(offer, country, item) for every chain country and every item a rule may name."""
    offers = inputs.offers.reset_index(names="offer")
    chain = chain_countries(offers, ["offer", "material"])
    elements = inputs.materials["elements"]
    items = pd.concat(
        [
            offers[["offer", "material"]].assign(item=ANY),
            offers[["offer", "material"]].assign(item=offers["material"]),
            offers[["offer", "material"]]
            .assign(item=offers["material"].map(elements))
            .explode("item")
            .dropna(subset=["item"]),
        ]
    )
    pairs = chain[["offer", "country"]].merge(items[["offer", "item"]], on="offer")
    return pairs.drop_duplicates()


def _matching_rules(inputs: Inputs, rules: pd.DataFrame) -> pd.DataFrame:
    """(offer, rule) for each rule whose country is in chain(o) and whose item matches."""
    numbered = rules.reset_index(names="rule")
    matched = _offer_items(inputs).merge(numbered, on=["country", "item"])
    return matched.drop_duplicates(subset=["offer", "rule"])


def _pair_terms(pairs: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """p, D, cf and Σ extra_tariff per offer-site pair, over the rules matching it."""
    hits = pairs[["pair", "offer", "end_use"]].merge(matched, on="offer", suffixes=("", "_rule"))
    site_key = hits["end_use"].map(canonical)
    hits = hits[(hits["end_use_rule"] == ANY) | (hits["end_use_rule"].map(canonical) == site_key)]
    terms = hits.groupby("pair").agg(
        approval=("approval", "prod"),
        delay_days=("delay_days", "max"),
        cost_factor=("cost_factor", "prod"),
        extra_tariff=("extra_tariff", "sum"),
        rule_rows=("row", lambda rows: tuple(sorted(int(r) for r in rows if pd.notna(r)))),
    )
    licensing = hits[(hits["approval"] < 1) | (hits["delay_days"] > 0)]
    terms["jurisdictions"] = licensing.groupby("pair")["country"].agg(
        lambda countries: ", ".join(sorted(set(countries)))
    )
    return terms


def _capacity(inputs: Inputs, matched: pd.DataFrame) -> pd.Series:
    """cap[o] = capacity × Π capacity_factor over the matching end_use `*` rules."""
    general = matched[matched["end_use"] == ANY]
    factor = general.groupby("offer")["capacity_factor"].prod()
    return inputs.offers["capacity"] * factor.reindex(inputs.offers.index, fill_value=1.0)


def _negative_tariffs(inputs: Inputs, pairs: pd.DataFrame) -> None:
    bad = pairs[pairs["tariff_rate"] < 0]
    if bad.empty:
        return
    sheet = inputs.sheet("controls")
    problems = [
        Problem(
            f"extra_tariff makes the duty on {row.supplier} / {row.material} to {row.site} "
            f"{row.tariff_rate:g}, below zero; a tariff cannot be negative",
            sheet=sheet if row.rule_rows else None,
            row=min(row.rule_rows) if row.rule_rows else None,
            column="extra_tariff",
        )
        for row in bad.drop_duplicates(subset=["rule_rows"]).itertuples()
    ]
    raise InputError(inputs.file, problems)


def _offer_site_pairs(
    inputs: Inputs, scenario: Scenario, points: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series]:
    """Every (o, s) with (s, material(o)) ∈ SM and its derived terms; and cap[o]."""
    offers = inputs.offers.reset_index(names="offer")
    point_keys = points[["site", "material"]].reset_index(names="point")
    pairs = offers.merge(point_keys, on="material").sort_values(["offer", "point"])
    pairs = pairs.reset_index(drop=True).reset_index(names="pair")
    pairs["end_use"] = inputs.sites["end_use"].reindex(pairs["site"]).to_numpy()
    matched = _matching_rules(inputs, scenario.rules)
    terms = _pair_terms(pairs, matched).reindex(pairs["pair"])
    pairs["approval"] = terms["approval"].fillna(1.0).to_numpy()
    pairs["delay_days"] = terms["delay_days"].fillna(0.0).to_numpy()
    pairs["cost_factor"] = terms["cost_factor"].fillna(1.0).to_numpy()
    extra = terms["extra_tariff"].fillna(0.0).to_numpy()
    pairs["rule_rows"] = terms["rule_rows"].to_numpy()
    pairs["jurisdictions"] = terms["jurisdictions"].fillna("").to_numpy()
    pairs["tariff_rate"] = inputs.countries["tariff"].reindex(pairs["country"]).to_numpy() + extra
    _negative_tariffs(inputs, pairs)
    pairs["licensed"] = (pairs["approval"] < 1) | (pairs["delay_days"] > 0)
    period_days = inputs.settings.period_days
    delay = np.ceil(pairs["delay_days"] / period_days - DELAY_TOLERANCE).clip(lower=0)
    pairs["lead_periods"] = pairs["lead_time"] + delay.astype(np.int64)
    lanes = inputs.lanes[["supplier", "material", "site", "freight", "allowed"]]
    pairs = pairs.merge(
        lanes.rename(columns={"freight": "lane_freight"}),
        on=["supplier", "material", "site"],
        how="left",
    )
    pairs["freight_per_t"] = pairs["lane_freight"].fillna(pairs["freight"])
    pairs["allowed"] = pairs["allowed"].fillna(True).astype(bool)
    covered = inputs.countries["covered"]
    touches_covered = np.logical_or.reduce(
        [covered.reindex(pairs[column]).to_numpy(bool) for column in CHAIN]
    )
    pairs["excluded"] = (pairs["end_use"].map(canonical) == DEFENSE).to_numpy() & touches_covered
    pairs["purchase_per_t"] = pairs["unit_cost"] * pairs["cost_factor"]
    pairs["tariff_per_t"] = pairs["purchase_per_t"] * pairs["tariff_rate"]
    pairs["landed_per_t"] = pairs["purchase_per_t"] + pairs["tariff_per_t"] + pairs["freight_per_t"]
    disruption = inputs.materials["disruption_cost"].reindex(pairs["material"]).to_numpy()
    pairs["risk_per_t"] = inputs.settings.risk_weight * (1 - pairs["approval"]) * disruption
    return pairs, _capacity(inputs, matched)


def _expand_periods(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per usable (pair, t): max(L, first) ≤ t ≤ last (0-based periods)."""
    start = np.maximum(pairs["lead_periods"].to_numpy(), pairs["first"].to_numpy())
    count = np.clip(pairs["last"].to_numpy() - start + 1, 0, None)
    rows = pairs.loc[pairs.index.repeat(count)].reset_index(drop=True)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    rows["period"] = np.repeat(start, count) + offsets
    return rows


def _unused_offer_warnings(
    inputs: Inputs, pairs: pd.DataFrame, usable: pd.DataFrame, cap: pd.Series
) -> list[Problem]:
    """An offer that can never deliver in this scenario, with the first reason why."""
    sheet = inputs.sheet("suppliers")
    used = set(usable["offer"])
    flags = (
        pairs.assign(approved=pairs["approval"] > 0)
        .groupby("offer")
        .agg(approved=("approved", "any"), allowed=("allowed", "any"), excluded=("excluded", "all"))
    )
    warnings = []
    for offer in inputs.offers.itertuples():
        if offer.Index in used:
            continue
        if offer.Index not in flags.index:
            reason = f"no site needs {offer.material}"
        elif cap[offer.Index] <= 0:
            reason = "its capacity is 0 in this scenario"
        elif not flags.at[offer.Index, "approved"]:
            reason = "its licence approval is 0 (export ban) in this scenario"
        elif not flags.at[offer.Index, "allowed"]:
            reason = "Lanes forbid every site that needs it"
        elif flags.at[offer.Index, "excluded"]:
            reason = "only defense sites need it and its chain touches a covered country"
        else:
            reason = "lead time and licence delay end after its last available period"
        warnings.append(
            Problem(
                f"unused supplier: {offer.supplier} / {offer.material} can never deliver "
                f"({reason})",
                sheet=sheet,
                row=offer.row,
                warning=True,
            )
        )
    return warnings


def _share_caps(
    inputs: Inputs, deliveries: pd.DataFrame, material_order: pd.Index
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Country-share caps (m, c) with share < 1 and the deliveries touching each."""
    chain = chain_countries(inputs.offers.reset_index(names="offer"), ["offer", "material"])
    limits = inputs.countries["max_share"]
    capped = chain[limits.reindex(chain["country"]).to_numpy() < 1]
    caps = capped[["material", "country"]].drop_duplicates().reset_index(drop=True)
    caps["limit"] = limits.reindex(caps["country"]).to_numpy()
    caps["material_code"] = _codes(caps["material"], material_order)
    caps = caps.reset_index(names="cap")
    numbered = deliveries[["offer"]].reset_index(names="delivery")
    members = numbered.merge(capped[["offer", "country", "material"]], on="offer").merge(
        caps[["cap", "material", "country"]], on=["material", "country"]
    )
    return caps, members["cap"].to_numpy(np.int64), members["delivery"].to_numpy(np.int64)


def derive(inputs: Inputs, scenario: Scenario) -> Instance:
    """Everything one scenario's LP needs, in positions, with the names kept alongside."""
    periods = len(inputs.periods)
    points = _stock_points(inputs)
    demand = _per_point_matrix(points, inputs.demand, periods) * scenario.demand_factor
    pipeline = _per_point_matrix(points, inputs.pipeline, periods)
    pairs, cap = _offer_site_pairs(inputs, scenario, points)
    pairs["cap"] = cap.reindex(pairs["offer"]).to_numpy()
    usable = pairs[
        (pairs["approval"] > 0) & (pairs["cap"] > 0) & pairs["allowed"] & ~pairs["excluded"]
    ]
    deliveries = _expand_periods(usable)
    materials = inputs.materials
    point_material = _codes(points["material"], materials.index)
    caps, share_cap, share_delivery = _share_caps(inputs, deliveries, materials.index)
    material_of = _codes(deliveries["material"], materials.index)
    data = ModelData(
        periods=periods,
        initial_t=points["initial"].to_numpy(float),
        min_t=points["min"].to_numpy(float),
        max_t=points["max"].to_numpy(float),
        target_end_t=points["target_end"].to_numpy(float),
        holding_cost_per_t=materials["holding_cost"].to_numpy(float)[point_material],
        shortage_penalty_per_t=materials["shortage_penalty"].to_numpy(float)[point_material],
        safety_penalty_per_t=materials["safety_penalty"].to_numpy(float)[point_material],
        demand_t=demand,
        pipeline_t=pipeline,
        offer=deliveries["offer"].to_numpy(np.int64),
        point=deliveries["point"].to_numpy(np.int64),
        period=deliveries["period"].to_numpy(np.int64),
        landed_cost_per_t=deliveries["landed_per_t"].to_numpy(float),
        risk_cost_per_t=deliveries["risk_per_t"].to_numpy(float),
        denial_share=(1 - deliveries["approval"]).to_numpy(float),
        capacity_t=np.repeat(cap.to_numpy(float)[:, None], periods, axis=1),
        budget=np.array([math.nan if b is None else b for b in inputs.budget], dtype=float),
        share_limit=caps["limit"].to_numpy(float),
        share_material=caps["material_code"].to_numpy(np.int64),
        share_cap=share_cap,
        share_delivery=share_delivery,
        material=material_of,
        fixed_cost=inputs.offers["fixed_cost"].to_numpy(float),
        min_order_t=inputs.offers["min_order"].to_numpy(float),
        offer_material=_codes(inputs.offers["material"], materials.index),
        max_suppliers=materials["max_suppliers"].to_numpy(float),
    )
    offers = inputs.offers.assign(cap=cap)
    warnings = _unused_offer_warnings(inputs, pairs, usable, cap)
    return Instance(inputs, scenario, data, points, deliveries, offers, caps, warnings, pairs)
