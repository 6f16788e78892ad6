"""The sheets and columns of the input workbook (SPEC §1), declared once.

`workbook/tables.py` reads sheets against these declarations; `inputs/README.md` documents
the same columns for analysts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a column's cells are read."""

    LABEL = "a text label"
    PERIOD = "a period label"
    TEXT = "text"
    NUMBER = "a number"
    WHOLE = "a whole number"
    YES_NO = "yes or no"
    LIST = "a comma-separated list"
    SHARES = "comma-separated NAME number pairs, each number 0..1, adding up to at most 1"
    ANY = "a value"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its kind, whether a value is required, its bounds."""

    name: str
    kind: Kind
    required: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False

    @property
    def expected(self) -> str:
        """The rule in words, e.g. `a number between 0 and 1`."""
        text = self.kind.value
        if self.low is not None and self.high is not None:
            return f"{text} between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"{text} {'>' if self.low_open else '≥'} {self.low:g}"
        return text


@dataclass(frozen=True)
class Sheet:
    """One sheet: display name, whether it must exist, its columns."""

    name: str
    required: bool
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> set[str]:
        """The canonical header of every column."""
        return {column.name for column in self.columns}


def _nonneg(name: str, required: bool = False) -> Column:
    return Column(name, Kind.NUMBER, required=required, low=0)


def _share(name: str) -> Column:
    return Column(name, Kind.NUMBER, low=0, high=1)


_SITE_MATERIAL = (
    Column("site", Kind.LABEL, required=True),
    Column("material", Kind.LABEL, required=True),
)
"""The key of the sheets kept per site and material (Demand, Stock, Pipeline)."""

_DATED_QUANTITIES = (
    *_SITE_MATERIAL,
    Column("period", Kind.PERIOD, required=True),
    _nonneg("quantity", required=True),
)
"""The columns of Demand and Pipeline: a quantity per site, material and period."""

SHEETS: dict[str, Sheet] = {
    "settings": Sheet(
        "Settings", False, (Column("key", Kind.LABEL, required=True), Column("value", Kind.ANY))
    ),
    "periods": Sheet(
        "Periods", True, (Column("period", Kind.PERIOD, required=True), _nonneg("budget"))
    ),
    "materials": Sheet(
        "Materials",
        True,
        (
            Column("material", Kind.LABEL, required=True),
            Column("elements", Kind.LIST),
            _nonneg("holding_cost"),
            _nonneg("shortage_penalty"),
            _nonneg("safety_penalty"),
            _nonneg("disruption_cost"),
            _nonneg("salvage_value"),
            Column("max_suppliers", Kind.WHOLE, low=1),
            Column("content", Kind.SHARES),
        ),
    ),
    "countries": Sheet(
        "Countries",
        True,
        (
            Column("country", Kind.LABEL, required=True),
            _nonneg("tariff"),
            Column("covered", Kind.YES_NO),
            _share("max_share"),
        ),
    ),
    "sites": Sheet(
        "Sites",
        True,
        (
            Column("site", Kind.LABEL, required=True),
            Column("end_use", Kind.LABEL),
            _nonneg("storage"),
        ),
    ),
    "suppliers": Sheet(
        "Suppliers",
        True,
        (
            Column("supplier", Kind.LABEL, required=True),
            Column("material", Kind.LABEL, required=True),
            Column("country", Kind.LABEL, required=True),
            Column("refined_in", Kind.LABEL),
            Column("mined_in", Kind.LABEL),
            _nonneg("capacity", required=True),
            _nonneg("unit_cost", required=True),
            _nonneg("freight"),
            Column("lead_time", Kind.WHOLE, low=0),
            Column("available_from", Kind.PERIOD),
            Column("available_to", Kind.PERIOD),
            _nonneg("fixed_cost"),
            _nonneg("min_order"),
            Column("origin_content", Kind.SHARES),
            _nonneg("min_total"),
            _nonneg("take_or_pay_price"),
        ),
    ),
    "prices": Sheet(
        "Prices",
        False,
        (
            Column("supplier", Kind.LABEL, required=True),
            Column("material", Kind.LABEL, required=True),
            Column("period", Kind.PERIOD, required=True),
            _nonneg("unit_cost", required=True),
        ),
    ),
    "lanes": Sheet(
        "Lanes",
        False,
        (
            Column("supplier", Kind.LABEL, required=True),
            Column("material", Kind.LABEL),
            Column("site", Kind.LABEL, required=True),
            _nonneg("freight"),
            Column("allowed", Kind.YES_NO),
        ),
    ),
    "demand": Sheet("Demand", True, _DATED_QUANTITIES),
    "recipes": Sheet(
        "Recipes",
        False,
        (
            Column("recipe", Kind.LABEL, required=True),
            Column("site", Kind.LABEL, required=True),
            _nonneg("cost"),
            _nonneg("capacity"),
            Column("lead_time", Kind.WHOLE, low=0),
            Column("available_from", Kind.PERIOD),
            Column("available_to", Kind.PERIOD),
            Column("description", Kind.TEXT),
        ),
    ),
    "recipeitems": Sheet(
        "RecipeItems",
        False,
        (
            Column("recipe", Kind.LABEL, required=True),
            Column("material", Kind.LABEL, required=True),
            _nonneg("input"),
            _nonneg("output"),
        ),
    ),
    "stock": Sheet(
        "Stock",
        False,
        (
            *_SITE_MATERIAL,
            _nonneg("initial"),
            _nonneg("min"),
            _nonneg("max"),
            _nonneg("target_end"),
        ),
    ),
    "pipeline": Sheet("Pipeline", False, _DATED_QUANTITIES),
    "scenarios": Sheet(
        "Scenarios",
        False,
        (
            Column("scenario", Kind.LABEL, required=True),
            Column("parent", Kind.LABEL),
            _nonneg("demand_factor"),
            _share("probability"),
            Column("description", Kind.TEXT),
        ),
    ),
    "controls": Sheet(
        "Controls",
        False,
        (
            Column("scenario", Kind.LABEL),
            Column("country", Kind.LABEL, required=True),
            Column("item", Kind.LABEL),
            Column("end_use", Kind.LABEL),
            _share("approval"),
            _nonneg("delay_days"),
            _nonneg("capacity_factor"),
            _nonneg("cost_factor"),
            Column("extra_tariff", Kind.NUMBER),
            Column("from_period", Kind.PERIOD),
            Column("to_period", Kind.PERIOD),
            _share("min_content"),
        ),
    ),
}

DOCUMENTATION_SHEETS = {"sources", "notes", "readme"}
"""Sheets that document a workbook; never read and never warned about."""

SETTINGS: dict[str, Column] = {
    column.name: column
    for column in (
        Column("currency", Kind.LABEL),
        Column("period_days", Kind.NUMBER, low=0, low_open=True),
        _nonneg("risk_weight"),
        _share("max_country_share"),
        _nonneg("shortage_penalty"),
        _nonneg("safety_penalty"),
        _nonneg("disruption_cost"),
        _nonneg("holding_cost"),
        Column("scenario", Kind.LABEL),
        _nonneg("salvage_value"),
        Column("commit_periods", Kind.WHOLE, low=0),
        _nonneg("mip_gap"),
        _nonneg("stability_tolerance"),
    )
}
