"""What moved between two nightly plans, and which inputs moved it.

The previous run's plan is read back from its plan.xlsx, and its inputs from the copy
of the input workbook kept in its folder, so the comparison never depends on anything
but the two run folders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.domain.words import CHAIN

TOLERANCE = 1e-9
"""Changes of tonnes (and relative changes of money) below this are shown as none."""
MOVE_T = 0.001
"""SPEC §5: moves below this many tonnes are left out of the Changes sheet."""
PLAN_KEY = ["supplier", "material", "site", "period"]


@dataclass(frozen=True)
class Changes:
    """The Changes sheet: a heading, and the tables of what moved."""

    heading: list[tuple[str, object]]
    plan: pd.DataFrame
    suppliers: pd.DataFrame
    inputs: pd.DataFrame
    runs: pd.DataFrame
    """recipe runs that moved (`run_changes`)"""

    @property
    def by_supplier(self) -> pd.DataFrame:
        """The plan changes summed per supplier and material, largest move first."""
        columns = ["supplier", "material", "changed_rows", "change_t", "cost_change", "reason"]
        if self.plan.empty:
            return pd.DataFrame(columns=columns)
        grouped = self.plan.groupby(["supplier", "material"], sort=False).agg(
            changed_rows=("change_t", "size"),
            change_t=("change_t", "sum"),
            cost_change=("cost_change", "sum"),
        )
        grouped = grouped.reset_index()
        grouped["change_t"] = _none_below(grouped["change_t"])
        grouped["cost_change"] = grouped["cost_change"].round(2)
        grouped = grouped[(grouped["change_t"].abs() >= MOVE_T) | (grouped["cost_change"] != 0)]
        grouped["reason"] = [
            reason(self.inputs, supplier, material)
            for supplier, material in zip(grouped["supplier"], grouped["material"], strict=True)
        ]
        order = grouped["change_t"].abs().sort_values(ascending=False, kind="stable").index
        return grouped.loc[order, columns].reset_index(drop=True)


def _shown(value: object) -> str:
    """A value as a person writes it: 10, not 10.0; 10.0001 as is."""
    return f"{value:,.10g}" if isinstance(value, float) else str(value)


def _words(row: pd.Series) -> str:
    before, after = _shown(row["old"]), _shown(row["new"])
    return f"{row['input']} {row['key']}: {row['field']} {before} → {after}"


def reason(inputs: pd.DataFrame, supplier: str, material: str) -> str:
    """The input changes that name this offer (Suppliers, Prices), else those that name
    its material (Demand, Stock, Pipeline, Recipes); blank when none can be named."""
    if inputs.empty:
        return ""
    keys = inputs["key"].astype(str).str.split(" / ")
    own = keys.map(lambda parts: supplier in parts and material in parts)
    named = inputs[own] if own.any() else inputs[keys.map(lambda parts: material in parts)]
    return "; ".join(_words(row) for _, row in named.iterrows())


def _none_below(values: pd.Series, scale: pd.Series | float = 1.0) -> pd.Series:
    """Values whose size is below TOLERANCE (times `scale`) as exactly 0."""
    return values.where(values.abs() > TOLERANCE * scale, 0.0)


def plan_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Per supplier, material, site and period: old and new tonnes and cost, where changed."""
    columns = [*PLAN_KEY, "old_t", "new_t", "change_t", "old_cost", "new_cost", "cost_change"]
    totals = [frame.groupby(PLAN_KEY)[["quantity", "total_cost"]].sum() for frame in (old, new)]
    joined = totals[0].join(totals[1], how="outer", suffixes=("_old", "_new")).fillna(0.0)
    table = pd.DataFrame(
        {
            "old_t": joined["quantity_old"],
            "new_t": joined["quantity_new"],
            "change_t": joined["quantity_new"] - joined["quantity_old"],
            "old_cost": joined["total_cost_old"],
            "new_cost": joined["total_cost_new"],
            "cost_change": joined["total_cost_new"] - joined["total_cost_old"],
        }
    ).reset_index()
    scale = np.maximum(1.0, np.maximum(table["old_cost"].abs(), table["new_cost"].abs()))
    table["change_t"] = _none_below(table["change_t"])
    table["cost_change"] = _none_below(table["cost_change"], scale)
    moved = table["change_t"].abs() >= MOVE_T
    repriced = (table["cost_change"] != 0) & (table[["old_t", "new_t"]].max(axis=1) >= MOVE_T)
    changed = moved | repriced
    return table.loc[changed, columns].reset_index(drop=True)


def supplier_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Offers bought from now but not before (`new`), or no longer (`dropped`)."""
    key = ["supplier", "material"]
    totals = [frame.groupby(key)["quantity"].sum() for frame in (old, new)]
    joined = pd.DataFrame({"old_t": totals[0], "new_t": totals[1]}).fillna(0.0).reset_index()
    joined["status"] = None
    joined.loc[(joined["old_t"] <= TOLERANCE) & (joined["new_t"] > TOLERANCE), "status"] = "new"
    joined.loc[(joined["old_t"] > TOLERANCE) & (joined["new_t"] <= TOLERANCE), "status"] = "dropped"
    return joined.dropna(subset=["status"])[["supplier", "material", "status", "old_t", "new_t"]]


def _labelled(frame: pd.DataFrame, periods: list[str], columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = [periods[int(t)] if t == t else None for t in frame[column]]
    return frame


def _shares_text(shares: dict[str, float]) -> str | None:
    """origin_content as the workbook writes it (`China 0.03, Vietnam 0.4`); None if none."""
    return ", ".join(f"{name} {share:g}" for name, share in shares.items()) or None


def _prices(inputs: Inputs) -> pd.DataFrame:
    """The Prices rows by supplier, material and period label."""
    offers = inputs.offers.iloc[inputs.prices["offer"].to_numpy(int)]
    return pd.DataFrame({
        "supplier": offers["supplier"].to_numpy(),
        "material": offers["material"].to_numpy(),
        "period": [inputs.periods[int(t)] for t in inputs.prices["period"]],
        "unit_cost": inputs.prices["unit_cost"].to_numpy(float),
    })  # fmt: skip


def _windows(inputs: Inputs) -> pd.DataFrame:
    """Controls with window ends as period labels, blank where open, so a horizon that
    rolls forward does not show every open window as moved; `part` numbers the rows of
    one rule (disjoint windows) in time order."""
    key = ["scenario", "country", "item", "end_use"]
    controls = inputs.controls.sort_values([*key, "from_t"], kind="stable")
    controls["part"] = controls.groupby(key).cumcount() + 1
    last = len(inputs.periods) - 1
    controls["from_t"] = controls["from_t"].where(controls["from_t"] > 0)
    controls["to_t"] = controls["to_t"].where(controls["to_t"] < last)
    return _labelled(controls, inputs.periods, ["from_t", "to_t"])


def _diff(name: str, old: pd.DataFrame, new: pd.DataFrame, key: list[str], fields: list[str]):
    """Rows of (input, key, field, old, new) for added, removed and changed entries."""
    merged = old[key + fields].merge(
        new[key + fields], on=key, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    rows = []
    for record in merged.to_dict("records"):
        label = " / ".join(str(record[k]) for k in key)
        if record["_merge"] == "left_only":
            rows.append((name, label, "(row)", "present", "removed"))
            continue
        if record["_merge"] == "right_only":
            rows.append((name, label, "(row)", "absent", "added"))
            continue
        for field in fields:
            before, after = record[f"{field}_old"], record[f"{field}_new"]
            if _differs(before, after):
                rows.append((name, label, field, before, after))
    return rows


def _differs(before: object, after: object) -> bool:
    if before == after:
        return False
    if isinstance(before, float) and isinstance(after, float):
        if before != before and after != after:
            return False
        return not abs(before - after) <= TOLERANCE * max(1.0, abs(before), abs(after))
    return True


COMPARED = {
    "Demand": (["site", "material", "period"], ["quantity"]),
    "Pipeline": (["site", "material", "period"], ["quantity"]),
    "Suppliers": (
        ["supplier", "material"],
        [
            *CHAIN,
            "capacity",
            "unit_cost",
            "freight",
            "lead_time",
            "first",
            "last",
            "origin_content",
            "min_total",
            "take_or_pay_price",
        ],
    ),
    "Prices": (["supplier", "material", "period"], ["unit_cost"]),
    "Sites": (["site"], ["end_use", "storage"]),
    "Controls": (
        ["scenario", "country", "item", "end_use", "part"],
        [
            "approval",
            "delay_days",
            "capacity_factor",
            "cost_factor",
            "extra_tariff",
            "from_t",
            "to_t",
            "min_content",
        ],
    ),
    "Stock": (["site", "material"], ["initial", "min", "max", "target_end"]),
    "Countries": (["country"], ["tariff", "covered", "max_share"]),
    "Periods": (["period"], ["budget"]),
    "Recipes": (["recipe"], ["site", "cost", "capacity", "lead_time", "first", "last"]),
    "RecipeItems": (["recipe", "material"], ["input", "output"]),
}
"""The inputs a nightly run compares with the last one: (key, fields) of each."""
FIELD_WORDS = {"first": "available_from", "last": "available_to", "from_t": "from_period",
               "to_t": "to_period"}  # fmt: skip


def _compared(inputs: Inputs) -> dict[str, pd.DataFrame]:
    """Each input of `COMPARED` as a frame, periods as their labels."""
    periods = inputs.periods
    return {
        "Demand": _labelled(inputs.demand, periods, ["period"]),
        "Pipeline": _labelled(inputs.pipeline, periods, ["period"]),
        "Suppliers": _labelled(inputs.offers, periods, ["first", "last"]).assign(
            origin_content=[_shares_text(shares) for shares in inputs.offers["origin_content"]]
        ),
        "Prices": _prices(inputs),
        "Sites": inputs.sites.reset_index(),
        "Controls": _windows(inputs),
        "Stock": inputs.stock,
        "Countries": inputs.countries.reset_index(),
        "Periods": pd.DataFrame({"period": periods, "budget": inputs.budget}),
        "Recipes": _labelled(inputs.recipes.reset_index(), periods, ["first", "last"]),
        "RecipeItems": inputs.recipe_items,
    }


def input_changes(old: Inputs, new: Inputs) -> pd.DataFrame:
    """What changed in each input of `COMPARED`, as (input, key, field, old, new) rows."""
    before, after = _compared(old), _compared(new)
    rows = []
    for name, (key, fields) in COMPARED.items():
        columns = key + fields
        rows += _diff(
            name, before[name].reindex(columns=columns), after[name].reindex(columns=columns),
            key, fields,
        )  # fmt: skip
    table = pd.DataFrame(rows, columns=["input", "key", "field", "old", "new"])
    table["field"] = table["field"].replace(FIELD_WORDS)
    return table


RUN_KEY = ["recipe", "site", "start_period"]


def run_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Per recipe, site and start period (the Production sheets): old and new runs, where
    changed."""
    columns = [*RUN_KEY, "old_runs", "new_runs", "change_runs"]
    totals = [
        frame.reindex(columns=[*RUN_KEY, "runs"]).groupby(RUN_KEY)["runs"].sum()
        for frame in (old, new)
    ]
    joined = pd.DataFrame({"old_runs": totals[0], "new_runs": totals[1]}).fillna(0.0)
    joined["change_runs"] = _none_below(joined["new_runs"] - joined["old_runs"])
    return joined.reset_index().loc[lambda t: t["change_runs"] != 0, columns].reset_index(drop=True)
