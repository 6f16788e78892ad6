"""The validated contents of an input workbook: typed, cross-checked, defaults applied."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.domain.words import BASE
from optimizer.problems import Problem


@dataclass(frozen=True)
class Settings:
    """The Settings sheet with its built-in defaults (SPEC §1)."""

    currency: str = "USD"
    period_days: float = 30.0
    risk_weight: float = 1.0
    max_country_share: float = 1.0
    shortage_penalty: float | None = None
    safety_penalty: float | None = None
    disruption_cost: float | None = None
    holding_cost: float | None = None
    scenario: str = BASE
    salvage_value: float | None = None
    commit_periods: int | None = None
    """K of the robust plan (SPEC §6); None: not given (the robust plan uses 1)"""
    mip_gap: float = 0.0001
    stability_tolerance: float = 0.0001
    """SPEC §5: how much above the optimum the nightly plan may cost to stay close"""


@dataclass(frozen=True)
class Inputs:
    """Everything the model needs, in the workbook's own names.

    Periods are referred to by their 0-based position in `periods`. Every table keeps
    the Excel `row` it came from, so later stages can still point at a cell.
    """

    file: str
    sha256: str
    settings: Settings
    periods: list[str]
    budget: list[float | None]
    materials: pd.DataFrame
    """index material; elements (tuple), holding_cost, shortage_penalty, safety_penalty,
    disruption_cost, salvage_value, max_suppliers (NaN = no cap), content (element →
    mass share; empty: unknown)"""
    countries: pd.DataFrame
    """index country; tariff, covered, max_share"""
    sites: pd.DataFrame
    """index site; end_use, storage (t over all materials; NaN = none)"""
    offers: pd.DataFrame
    """supplier, material, country, refined_in, mined_in, capacity, unit_cost, freight,
    lead_time, first, last (0-based period window), fixed_cost, min_order,
    origin_content (country → declared value share), min_total, take_or_pay_price, row"""
    lanes: pd.DataFrame
    """supplier, material, site, freight (NaN = the offer's), allowed: one row per
    (supplier, material, site) after expanding blank materials"""
    demand: pd.DataFrame
    """site, material, period, quantity"""
    stock: pd.DataFrame
    """site, material, initial, min, max (NaN = none), target_end"""
    pipeline: pd.DataFrame
    """site, material, period, quantity (repeated rows summed)"""
    scenarios: pd.DataFrame
    """index scenario; parent (None for base), demand_factor, probability (NaN = blank),
    description, row"""
    controls: pd.DataFrame
    """scenario, country, item, end_use, approval, delay_days, capacity_factor,
    cost_factor, extra_tariff, from_t, to_t (0-based window, open ends filled),
    min_content (NaN = match by chain only), row"""
    prices: pd.DataFrame = field(default_factory=pd.DataFrame)
    """offer (position in `offers`), period, unit_cost, row: the Prices rows (SPEC §1)"""
    recipes: pd.DataFrame = field(default_factory=pd.DataFrame)
    """index recipe; site, cost, capacity (NaN = none), lead_time, first, last (0-based
    window of start periods), description, row (SPEC §8)"""
    recipe_items: pd.DataFrame = field(default_factory=pd.DataFrame)
    """recipe, material, input, output (t per run), row"""
    sheet_names: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def sheet(self, key: str) -> str:
        """The name the workbook uses for a sheet (for messages)."""
        return self.sheet_names.get(key, key.capitalize())
