"""Inputs + one scenario → the derived data of SPEC §2, as `ModelData` plus name tables.

For each offer-site pair (o, s) with (s, material(o)) ∈ SM and period t, over the rules
in force matching (o, s) in t: p = Π approval, D = max delay_days, cf = Π cost_factor,
τ = tariff(country(o)) + Σ extra_tariff, cap[o,t] = capacity × Π capacity_factor of the
matching end_use `*` rules, L = lead_time + ceil(D / period_days), c = unit_cost·cf·(1+τ)
+ f and r = λ·(1−p)·disruption_cost. A delivery x[o,s,t] exists only when t > L[o,s,t],
t is in the offer's window, p > 0, cap > 0, Lanes allows (o, s) and not (s is `defense`
and the chain of o touches a covered country). The window ends of the matching rules cut
each pair's horizon into segments over which all of these are constant; every step is
vectorised pandas over (pair, segment) rows, never a loop over offers × sites × periods.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.data import ModelData
from models.grouping import positions_within
from optimizer.domain.inputs import Inputs
from optimizer.domain.limits import check_combined
from optimizer.domain.names import canonical
from optimizer.domain.recipes import recipe_arrays
from optimizer.domain.scenarios import Scenario
from optimizer.domain.terms import licensed, risk_per_t
from optimizer.domain.words import ANY, CHAIN, DEFENSE
from optimizer.problems import InputError, Problem

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
    """Inputs.offers; their capacity per period in this scenario is `data.capacity_t`"""
    shares: pd.DataFrame
    """one row per country-share cap k: material, country, limit"""
    warnings: list[Problem]
    pairs: pd.DataFrame
    """every offer-site pair (o, s) with (s, material(o)) ∈ SM, one row per window segment
    start..end (0-based periods over which its terms hold; one segment 0..T−1 without
    windows), and why it can or cannot deliver there: approval, allowed, excluded,
    lead_periods, first, last, cap, and `rules`: the positions in `scenario.rules` of the
    rules matching the pair and in force in the segment (empty when none)"""


def _codes(values: pd.Series, order: pd.Index) -> np.ndarray:
    return pd.Categorical(values, categories=order).codes.astype(np.int64)


def _recipe_points(inputs: Inputs) -> pd.DataFrame:
    """(site(r), material) of every RecipeItems row: recipes draw on and fill these."""
    items = inputs.recipe_items
    if items.empty:
        return pd.DataFrame(columns=["site", "material"])
    sites = inputs.recipes["site"].reindex(items["recipe"]).to_numpy()
    return pd.DataFrame({"site": sites, "material": items["material"].to_numpy()})


def _stock_points(inputs: Inputs) -> pd.DataFrame:
    """SM: the (site, material) pairs of Demand, Stock, Pipeline and the recipes' items."""
    tables = (inputs.demand, inputs.stock, inputs.pipeline)
    keys = pd.concat(
        [*(frame[["site", "material"]] for frame in tables), _recipe_points(inputs)]
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
    long = frame.melt(id_vars=keep, value_vars=list(CHAIN), value_name="chain_country")
    long = long.drop(columns="variable").rename(columns={"chain_country": "country"})
    return long.drop_duplicates(subset=[*keep, "country"])


def _offer_items(inputs: Inputs, chain: pd.DataFrame) -> pd.DataFrame:
    """(offer, country, item, share) for every item a rule may name and every chain
    country (share NaN) or country whose value share the offer declares in its
    origin_content without it being in the chain (share: the declared one)."""
    offers = inputs.offers.reset_index(names="offer")
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
    declared = pd.DataFrame(
        [(offer, country, share)
         for offer, shares in enumerate(inputs.offers["origin_content"])
         for country, share in shares.items()],
        columns=["offer", "country", "share"],
    )  # fmt: skip
    declared = declared.merge(chain[["offer", "country"]], how="left", indicator=True)
    declared = declared[declared["_merge"] == "left_only"].drop(columns="_merge")
    countries = pd.concat([chain[["offer", "country"]].assign(share=np.nan), declared])
    countries = countries.astype({"offer": np.int64, "share": float})
    pairs = countries.merge(items[["offer", "item"]], on="offer")
    return pairs.drop_duplicates(subset=["offer", "country", "item"])


def _matching_rules(items: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """(offer, rule) for each rule whose item matches and whose country is in chain(o), or
    (with min_content) of which o declares a value share of at least min_content; the
    second kind are `by_content`."""
    numbered = rules.reset_index(drop=True).reset_index(names="rule")
    matched = items.merge(numbered, on=["country", "item"])
    by_content = matched["share"].notna()
    reaches = ~by_content | (matched["share"] >= matched["min_content"].fillna(np.inf))
    matched = matched[reaches].assign(by_content=by_content[reaches])
    return matched.drop_duplicates(subset=["offer", "rule"]).drop(columns="share")


@dataclass(frozen=True)
class _Fixed:
    """What derive needs of a workbook whatever the scenario: computed at the first
    derive of an `Inputs` and shared by its scenarios (pandas copies on write)."""

    points: pd.DataFrame
    demand_t: np.ndarray
    """(points, periods) before the scenario's demand factor"""
    pipeline_t: np.ndarray
    pairs: pd.DataFrame
    """every offer-site pair (o, s) with (s, material(o)) ∈ SM: the offer's columns,
    point, site, end_use, numbered `pair`"""
    items: pd.DataFrame
    """(offer, country, item) a rule can match (`_offer_items`)"""
    chain: pd.DataFrame
    """(offer, material, country) for every distinct country of each offer's chain"""
    recipes: dict[str, np.ndarray]
    """the ModelData fields of SPEC §8's recipes and runs (`domain.recipes`)"""
    price_t: np.ndarray
    """π[o,t] (offers, periods): the Prices row of (o, t), else unit_cost(o)"""

    @classmethod
    def of(cls, inputs: Inputs) -> _Fixed:
        periods = len(inputs.periods)
        points = _stock_points(inputs)
        offers = inputs.offers.reset_index(names="offer")
        point_keys = points[["site", "material"]].reset_index(names="point")
        pairs = offers.merge(point_keys, on="material").sort_values(["offer", "point"])
        pairs = pairs.reset_index(drop=True).reset_index(names="pair")
        pairs["end_use"] = inputs.sites["end_use"].reindex(pairs["site"]).to_numpy()
        chain = chain_countries(offers, ["offer", "material"])
        demand = _per_point_matrix(points, inputs.demand, periods)
        pipeline = _per_point_matrix(points, inputs.pipeline, periods)
        demand.flags.writeable = pipeline.flags.writeable = False  # shared by every scenario
        recipes = recipe_arrays(inputs, points)
        for array in recipes.values():
            array.flags.writeable = False
        price = _prices(inputs)
        return cls(
            points, demand, pipeline, pairs, _offer_items(inputs, chain), chain, recipes, price
        )


def _prices(inputs: Inputs) -> np.ndarray:
    """π[o,t]: each offer's unit_cost in every period, replaced by its Prices rows."""
    price = np.repeat(inputs.offers["unit_cost"].to_numpy(float)[:, None], len(inputs.periods), 1)
    rows = inputs.prices
    if len(rows):
        price[rows["offer"].to_numpy(np.int64), rows["period"].to_numpy(np.int64)] = rows[
            "unit_cost"
        ].to_numpy(float)
    price.flags.writeable = False
    return price


def priced(deliveries: pd.DataFrame, price: np.ndarray) -> pd.DataFrame:
    """The deliveries' (or pairs' rows with a `period`) purchase, tariff and landed cost
    per t at the period's price π[o,t] (SPEC §2: c = π·cf·(1 + τ) + f)."""
    unit = price[deliveries["offer"].to_numpy(np.int64), deliveries["period"].to_numpy(np.int64)]
    purchase = unit * deliveries["cost_factor"].to_numpy(float)
    tariff = purchase * deliveries["tariff_rate"].to_numpy(float)
    return deliveries.assign(
        unit_cost=unit,
        purchase_per_t=purchase,
        tariff_per_t=tariff,
        landed_per_t=purchase + tariff + deliveries["freight_per_t"].to_numpy(float),
    )


_FIXED: dict[int, _Fixed] = {}


def offer_prices(inputs: Inputs) -> np.ndarray:
    """π[o,t] of every offer and period (read-only, computed once per workbook)."""
    return _fixed(inputs).price_t


def _fixed(inputs: Inputs) -> _Fixed:
    """`_Fixed` of `inputs`, kept while `inputs` lives (validate, whatif and robust
    derive every scenario of one workbook)."""
    key = id(inputs)
    found = _FIXED.get(key)
    if found is None:
        found = _FIXED[key] = _Fixed.of(inputs)
        weakref.finalize(inputs, _FIXED.pop, key, None)
    return found


def _windows(keys: pd.Series, hits: pd.DataFrame, periods: int) -> pd.DataFrame:
    """Cut 0..T−1 of every key at the window ends of its rule hits.

    One row per (key, start, end): the rules matching a key are in force either over a
    whole segment or over none of it, so everything derived from them is constant there.
    Without windows every key has the single segment 0..T−1.
    """
    name = keys.name
    cuts = pd.concat(
        [
            pd.DataFrame({name: keys.to_numpy(), "start": 0}),
            pd.DataFrame({name: hits[name].to_numpy(), "start": hits["from_t"].to_numpy()}),
            pd.DataFrame({name: hits[name].to_numpy(), "start": hits["to_t"].to_numpy() + 1}),
        ]
    )
    cuts = cuts[cuts["start"] < periods].drop_duplicates().sort_values([name, "start"])
    following = cuts.groupby(name)["start"].shift(-1, fill_value=periods)
    return cuts.assign(end=following.to_numpy(np.int64) - 1).reset_index(drop=True)


def _in_force(segments: pd.DataFrame, hits: pd.DataFrame, key: str) -> pd.DataFrame:
    """(segment, rule) for every rule hit whose window covers the segment."""
    joined = segments.reset_index(names="segment").merge(hits, on=key)
    return joined[(joined["from_t"] <= joined["start"]) & (joined["end"] <= joined["to_t"])]


def _pair_terms(pairs: pd.DataFrame, matched: pd.DataFrame, periods: int) -> pd.DataFrame:
    """p, D, cf and Σ extra_tariff per offer-site pair and window segment (pair, start,
    end), over the rules matching the pair and in force in the segment."""
    hits = pairs[["pair", "offer", "end_use"]].merge(matched, on="offer", suffixes=("", "_rule"))
    site_key = hits["end_use"].map(canonical)
    hits = hits[(hits["end_use_rule"] == ANY) | (hits["end_use_rule"].map(canonical) == site_key)]
    segments = _windows(pairs["pair"], hits, periods)
    live = _in_force(segments, hits.drop(columns=["offer", "end_use"]), "pair")
    terms = live.groupby("segment").agg(
        approval=("approval", "prod"),
        delay_days=("delay_days", "max"),
        cost_factor=("cost_factor", "prod"),
        extra_tariff=("extra_tariff", "sum"),
        rule_rows=("row", lambda rows: tuple(sorted(int(r) for r in rows if pd.notna(r)))),
        rules=("rule", lambda rules: tuple(sorted(int(r) for r in rules))),
    )
    licensing = live[(live["approval"] < 1) | (live["delay_days"] > 0)]
    names = lambda countries: ", ".join(sorted(set(countries)))  # noqa: E731
    terms["jurisdictions"] = licensing.groupby("segment")["country"].agg(names)
    reached = live[live["by_content"]]
    rule_words = reached["country"] + "'s " + (reached["min_content"] * 100).map("{:g} %".format)
    terms["content_rule"] = (rule_words + " content rule").groupby(reached["segment"]).agg(names)
    return segments.join(terms)


def _capacity(inputs: Inputs, matched: pd.DataFrame, periods: int) -> np.ndarray:
    """cap[o,t] = capacity × Π capacity_factor over the matching end_use `*` rules in force
    in t, as an (offers, periods) array."""
    general = matched[matched["end_use"] == ANY]
    offers = pd.Series(np.arange(len(inputs.offers)), name="offer")
    segments = _windows(offers, general, periods)
    live = _in_force(segments, general, "offer")
    factor = live.groupby("segment")["capacity_factor"].prod()
    factor = factor.reindex(segments.index, fill_value=1.0).to_numpy()
    capacity = inputs.offers["capacity"].to_numpy(float)[segments["offer"].to_numpy()] * factor
    span = (segments["end"] - segments["start"] + 1).to_numpy()
    return np.repeat(capacity, span).reshape(len(inputs.offers), periods)


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
    inputs: Inputs, scenario: Scenario, fixed: _Fixed
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every (o, s) with (s, material(o)) ∈ SM and window segment (start..end) with its
    derived terms; and cap[o,t]."""
    matched = _matching_rules(fixed.items, scenario.rules)
    periods = len(inputs.periods)
    terms = _pair_terms(fixed.pairs, matched, periods)
    pairs = fixed.pairs.merge(terms, on="pair").sort_values(["pair", "start"])
    pairs = pairs.reset_index(drop=True)
    pairs = pairs.fillna(
        {"approval": 1.0, "delay_days": 0.0, "cost_factor": 1.0, "extra_tariff": 0.0}
    )
    pairs["jurisdictions"] = pairs["jurisdictions"].fillna("")
    pairs["content_rule"] = pairs["content_rule"].fillna("")
    pairs["rules"] = pairs["rules"].map(lambda rules: rules if isinstance(rules, tuple) else ())
    extra = pairs.pop("extra_tariff").to_numpy()
    pairs["tariff_rate"] = inputs.countries["tariff"].reindex(pairs["country"]).to_numpy() + extra
    _negative_tariffs(inputs, pairs)
    pairs["licensed"] = licensed(pairs["approval"], pairs["delay_days"])
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
    pairs["risk_per_t"] = risk_per_t(inputs, pairs["material"], pairs["approval"])
    capacity = _capacity(inputs, matched, periods)
    pairs["cap"] = capacity[pairs["offer"].to_numpy(), pairs["start"].to_numpy()]
    return pairs, capacity


def _expand_periods(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per usable (pair, t): max(L, first, start) ≤ t ≤ min(last, end), 0-based,
    where start..end is the window segment in which the pair's terms (and L) hold."""
    start = np.maximum.reduce([pairs[c].to_numpy() for c in ("lead_periods", "first", "start")])
    count = np.clip(np.minimum(pairs["last"], pairs["end"]).to_numpy() - start + 1, 0, None)
    rows = pairs.loc[pairs.index.repeat(count)].reset_index(drop=True)
    rows["period"] = np.repeat(start, count) + positions_within(count)
    return rows


UNUSED_REASONS = {
    "capacity": "its capacity is 0 in this scenario",
    "ban": "a Controls rule sets its licence approval to 0 for every site that needs it",
    "lanes": "Lanes forbid every site that needs it",
    "defense": "only defense sites need it and its chain touches a covered country",
    "timing": "lead time and licence delay end after its last available period",
}


def _unused_reasons(pairs: pd.DataFrame, capacity: np.ndarray) -> pd.DataFrame:
    """Why each offer of `pairs` cannot deliver, per period: (offer, period, reason)."""
    span = (pairs["end"] - pairs["start"] + 1).to_numpy()
    rows = pairs.loc[pairs.index.repeat(span)].reset_index(drop=True)
    rows["period"] = rows["start"].to_numpy() + positions_within(span)
    flags = (
        rows.assign(approved=rows["approval"] > 0)
        .groupby(["offer", "period"])
        .agg(approved=("approved", "any"), allowed=("allowed", "any"), excluded=("excluded", "all"))
        .reset_index()
    )
    cap = capacity[flags["offer"].to_numpy(), flags["period"].to_numpy()]
    flags["reason"] = np.select(
        [cap <= 0, ~flags["approved"], ~flags["allowed"], flags["excluded"]],
        ["capacity", "ban", "lanes", "defense"],
        "timing",
    )
    return flags[["offer", "period", "reason"]]


def _spans(periods: list[str], reasons: pd.DataFrame) -> str:
    """`reason` alone, or `2026-01 … 2027-12: reason; 2028-01 … : reason` when it varies
    (`reasons`: one offer's rows in period order)."""
    runs: list[list] = []  # [first, last, reason] of each run of one reason
    for period, reason in zip(reasons["period"].tolist(), reasons["reason"].tolist(), strict=True):
        if runs and runs[-1][2] == reason:
            runs[-1][1] = period
        else:
            runs.append([period, period, reason])
    if len(runs) == 1 or {reason for _, _, reason in runs} == {"timing"}:
        return UNUSED_REASONS[runs[0][2]]
    return "; ".join(
        f"{periods[first]}"
        + (f" … {periods[last]}" if last > first else "")
        + f": {UNUSED_REASONS[reason]}"
        for first, last, reason in runs
    )


def _unused_offer_warnings(
    inputs: Inputs, pairs: pd.DataFrame, deliveries: pd.DataFrame, capacity: np.ndarray
) -> list[Problem]:
    """An offer that can never deliver in this scenario, with the reason in each period."""
    sheet = inputs.sheet("suppliers")
    unused = inputs.offers.drop(index=deliveries["offer"].unique())
    reasons = _unused_reasons(pairs[pairs["offer"].isin(unused.index)], capacity)
    by_offer = dict(tuple(reasons.groupby("offer")))
    warnings = []
    for offer in unused.itertuples():
        found = by_offer.get(offer.Index)
        reason = (
            f"no site needs {offer.material}" if found is None else _spans(inputs.periods, found)
        )
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


def _salvage_warnings(inputs: Inputs, deliveries: pd.DataFrame) -> list[Problem]:
    """A salvage value at or above the material's cheapest landed cost in this scenario:
    the plan may then buy stock only to hold it to the end."""
    cheapest = deliveries.groupby("material")["landed_per_t"].min()
    materials = inputs.materials
    salvage = materials["salvage_value"]
    high = salvage[(salvage > 0) & (salvage >= cheapest.reindex(materials.index))]
    return [
        Problem(
            f"salvage_value {value:,.2f} of {material} reaches its cheapest landed cost "
            f"{cheapest[material]:,.2f}: the plan may buy stock only to hold it to the end",
            sheet=inputs.sheet("materials"),
            row=materials.at[material, "row"],
            column="salvage_value",
            warning=True,
        )
        for material, value in high.items()
    ]


def share_members(
    inputs: Inputs, deliveries: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Country-share caps (m, c) with share < 1 (the same in every scenario), and the pairs
    (cap, delivery) of the deliveries (rows of `deliveries`, by `offer`) touching each."""
    chain, material_order = _fixed(inputs).chain, inputs.materials.index
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


def storage_sites(inputs: Inputs, points: pd.DataFrame) -> pd.Series:
    """The sites whose storage is limited (SPEC §2, constraint 10) and that hold some stock
    point, with their storage, in Sites order: position g of `ModelData.storage_limit`."""
    storage = inputs.sites["storage"].dropna()
    return storage[storage.index.isin(points["site"])]


def _site_storage(inputs: Inputs, points: pd.DataFrame) -> dict[str, np.ndarray]:
    """Sites.storage: the limit of each `storage_sites` site, and the position of each
    point's site among them (−1: none)."""
    storage = storage_sites(inputs, points)
    position = pd.Series(np.arange(len(storage)), index=storage.index)
    point_storage = position.reindex(points["site"]).fillna(-1).to_numpy(np.int64)
    return {"storage_limit": storage.to_numpy(float), "point_storage": point_storage}


def contract_terms(
    inputs: Inputs, deliveries: pd.DataFrame, capacity: np.ndarray
) -> dict[str, np.ndarray]:
    """Take-or-pay (SPEC §2, constraint 11) per offer with min_total > 0: the volume owed,
    min(min_total, Σ cap[o,t] over the periods in which o has a delivery variable) (a ban
    excuses what it prevents), and the price of each tonne not taken."""
    offers = inputs.offers
    bound = np.flatnonzero(offers["min_total"].to_numpy(float) > 0)
    deliverable = np.zeros(len(offers))
    if len(deliveries):
        live = deliveries[["offer", "period"]].drop_duplicates().to_numpy(np.int64)
        np.add.at(deliverable, live[:, 0], capacity[live[:, 0], live[:, 1]])
    owed = np.minimum(offers["min_total"].to_numpy(float), deliverable)
    return {
        "contract_offer": bound,
        "contract_total_t": owed[bound],
        "contract_price": offers["take_or_pay_price"].to_numpy(float)[bound],
    }


def _model_data(
    inputs: Inputs,
    fixed: _Fixed,
    demand: np.ndarray,
    deliveries: pd.DataFrame,
    capacity: np.ndarray,
) -> tuple[ModelData, pd.DataFrame]:
    """The arrays of SPEC §2 (with §7, §8 and v3's terms) and the country-share caps."""
    points, materials = fixed.points, inputs.materials
    point_material = _codes(points["material"], materials.index)
    caps, share_cap, share_delivery = share_members(inputs, deliveries)
    data = ModelData(
        periods=len(inputs.periods),
        initial_t=points["initial"].to_numpy(float),
        min_t=points["min"].to_numpy(float),
        max_t=points["max"].to_numpy(float),
        target_end_t=points["target_end"].to_numpy(float),
        holding_cost_per_t=materials["holding_cost"].to_numpy(float)[point_material],
        shortage_penalty_per_t=materials["shortage_penalty"].to_numpy(float)[point_material],
        safety_penalty_per_t=materials["safety_penalty"].to_numpy(float)[point_material],
        salvage_value_per_t=materials["salvage_value"].to_numpy(float)[point_material],
        demand_t=demand,
        pipeline_t=fixed.pipeline_t,
        offer=deliveries["offer"].to_numpy(np.int64),
        point=deliveries["point"].to_numpy(np.int64),
        period=deliveries["period"].to_numpy(np.int64),
        landed_cost_per_t=deliveries["landed_per_t"].to_numpy(float),
        risk_cost_per_t=deliveries["risk_per_t"].to_numpy(float),
        denial_share=(1 - deliveries["approval"]).to_numpy(float),
        capacity_t=capacity,
        budget=np.array([math.nan if b is None else b for b in inputs.budget], dtype=float),
        share_limit=caps["limit"].to_numpy(float),
        share_material=caps["material_code"].to_numpy(np.int64),
        share_cap=share_cap,
        share_delivery=share_delivery,
        material=_codes(deliveries["material"], materials.index),
        fixed_cost=inputs.offers["fixed_cost"].to_numpy(float),
        min_order_t=inputs.offers["min_order"].to_numpy(float),
        offer_material=_codes(inputs.offers["material"], materials.index),
        max_suppliers=materials["max_suppliers"].to_numpy(float),
        **fixed.recipes,
        **_site_storage(inputs, points),
        **contract_terms(inputs, deliveries, capacity),
    )
    return data, caps


def derive(inputs: Inputs, scenario: Scenario) -> Instance:
    """Everything one scenario's LP needs, in positions, with the names kept alongside."""
    fixed = _fixed(inputs)
    demand = fixed.demand_t * scenario.demand_factor
    pairs, capacity = _offer_site_pairs(inputs, scenario, fixed)
    check_combined(inputs, scenario.name, demand, pairs)
    usable = pairs[
        (pairs["approval"] > 0) & (pairs["cap"] > 0) & pairs["allowed"] & ~pairs["excluded"]
    ]
    deliveries = priced(_expand_periods(usable), fixed.price_t)
    data, caps = _model_data(inputs, fixed, demand, deliveries, capacity)
    warnings = _unused_offer_warnings(inputs, pairs, deliveries, capacity)
    warnings += _salvage_warnings(inputs, deliveries)
    return Instance(
        inputs, scenario, data, fixed.points, deliveries, inputs.offers, caps, warnings, pairs
    )
