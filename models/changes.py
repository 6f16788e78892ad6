"""A variant of a built model as a change to it: costs, bounds, row bounds, coefficients.

Many models of one workbook differ only in data that leaves their structure as it is: a
licence draw removes deliveries and lifts their risk, a stated relaxation raises a
capacity or a budget, the eev plan fixes the committed orders. `variant_change` compares
the data a kept model was built from with a variant's data and states, by component
name and index key (models/components.py), what a solver must change so that the kept
model becomes the variant's: in the manner of linopy's persistent model diff. A
difference it cannot state (a new delivery, another demand, a new row) raises `Rebuild`
with the reason, and the variant is built anew.

The coefficients written here are those of the families: a delivery's cost is
`delivery_cost` (the objective), its licence-cover coefficient its denial share (6), its
budget coefficient its landed cost (8), a share row's `share_coefficients` (7), a
capacity row's right-hand side cap[o,t] or, switched by a binary b, the coefficient
−cap[o,t] of b (2, §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np

from models import components
from models.data import DELIVERY_FIELDS, ModelData

Keys = Mapping[str, list]
"""component name → its index keys, in order (`StandardForm.keys`)"""


class Rebuild(Exception):
    """The variant differs from the kept model in a way no change can state."""


@dataclass(frozen=True)
class Change:
    """What to set on a kept model, by component and index key; all else stays as built."""

    costs: dict[str, tuple[list, np.ndarray]] = field(default_factory=dict)
    """variable component → (keys, objective coefficients)"""
    bounds: dict[str, tuple[list, np.ndarray, np.ndarray]] = field(default_factory=dict)
    """variable component → (keys, lower, upper)"""
    rows: dict[str, tuple[list, np.ndarray, np.ndarray]] = field(default_factory=dict)
    """constraint component → (keys, lower, upper)"""
    entries: dict[tuple[str, str], tuple[list, list, list]] = field(default_factory=dict)
    """(constraint, variable) → (row keys, variable keys, coefficients)"""

    def add_entries(self, row: str, variable: str, rows, columns, values) -> None:
        """Set the coefficients of `variable`'s members `columns` in rows `rows` of `row`."""
        found = self.entries.setdefault((row, variable), ([], [], []))
        for part, added in zip(found, (rows, columns, values), strict=True):
            part.extend(np.asarray(added).tolist() if isinstance(added, np.ndarray) else added)


def delivery_cost(data: ModelData) -> np.ndarray:
    """The objective coefficient of each delivery: c[o,s,t] + r[o,s,t]."""
    return data.landed_cost_per_t + data.risk_cost_per_t


def share_coefficients(
    data: ModelData, cap: int, share: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(deliveries of the cap's material, their coefficients in its row): 1 − share for
    the deliveries whose chain touches the cap's country, −share for the others (share:
    the cap's own unless given)."""
    members = np.flatnonzero(data.material == data.share_material[cap])
    touching = np.isin(members, data.share_delivery[data.share_cap == cap])
    share = float(data.share_limit[cap]) if share is None else share
    return members, np.where(touching, 1.0 - share, -share)


SUPPORTED = {*DELIVERY_FIELDS, "capacity_t", "min_t", "max_t", "budget", "share_limit",
             "share_cap", "share_delivery", "recipe_capacity", "storage_limit",
             "contract_total_t"}  # fmt: skip
"""The ModelData fields a change can state; every other field must be the kept model's."""


def _same_structure(kept: ModelData, variant: ModelData) -> None:
    for item in fields(ModelData):
        if item.name in SUPPORTED:
            continue
        mine, theirs = getattr(kept, item.name), getattr(variant, item.name)
        if isinstance(mine, np.ndarray):
            equal = mine.shape == theirs.shape and np.array_equal(mine, theirs, equal_nan=True)
        else:
            equal = mine == theirs
        if not equal:
            raise Rebuild(f"{item.name} differs")


def delivery_key(data: ModelData) -> np.ndarray:
    """A key per delivery (offer, point, period), equal for the same delivery in two data."""
    return (data.offer * data.points + data.point) * data.periods + data.period


def kept_positions(kept: ModelData, variant: ModelData) -> np.ndarray:
    """The kept model's position of each of the variant's deliveries; `Rebuild` when the
    variant has a delivery the kept model has not."""
    keys = delivery_key(kept)
    order = np.argsort(keys, kind="stable")
    wanted = delivery_key(variant)
    found = np.searchsorted(keys[order], wanted)
    found = np.minimum(found, max(len(keys) - 1, 0))
    where = order[found] if len(keys) else np.zeros(0, dtype=np.int64)
    if len(wanted) and (not len(keys) or (keys[where] != wanted).any()):
        raise Rebuild("a delivery of the variant is not in the kept model")
    if (kept.material[where] != variant.material).any():
        raise Rebuild("a delivery changed material")
    return where


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Positions where `after` differs from `before` (infinities and NaN compare equal)."""
    return np.flatnonzero(~((before == after) | (np.isnan(before) & np.isnan(after))))


def variant_change(kept: ModelData, variant: ModelData, keys: Keys) -> tuple[Change, np.ndarray]:
    """The change that turns the model built from `kept` into `variant`'s (its optimum is
    the variant's: a delivery the variant lacks is bounded at 0), and the kept position
    of each of the variant's deliveries; `Rebuild` when no change can say it."""
    _same_structure(kept, variant)
    where = kept_positions(kept, variant)
    present = np.zeros(kept.deliveries, dtype=bool)
    present[where] = True
    merged = {name: getattr(kept, name).copy() for name in DELIVERY_FIELDS}
    for name in DELIVERY_FIELDS:
        merged[name][where] = getattr(variant, name)
    merged["denial_share"][~present] = 0.0
    if ((merged["denial_share"] > 0) & (kept.denial_share <= 0)).any():
        raise Rebuild("a delivery needs a licence that it does not need in the kept model")
    change = Change()
    upper = np.where(present, np.inf, 0.0)
    moved = np.flatnonzero(~present)
    if len(moved):
        change.bounds[components.BUY] = (moved.tolist(), np.zeros(len(moved)), upper[moved])
    cost = merged["landed_cost_per_t"] + merged["risk_cost_per_t"]
    moved = _changed(delivery_cost(kept), cost)
    if len(moved):
        change.costs[components.BUY] = (moved.tolist(), cost[moved])
    _cover(change, kept, merged["denial_share"])
    _budget(change, kept, variant, merged["landed_cost_per_t"], keys)
    _capacity(change, kept, variant, keys)
    _recipe_capacity(change, kept, variant, keys)
    _row_levels(change, components.FLOOR, kept.min_t, variant.min_t, keys, lower=True)
    _row_levels(change, components.STORAGE, kept.max_t, variant.max_t, keys)
    _row_levels(change, components.SITE_STORAGE, kept.storage_limit, variant.storage_limit, keys)
    _row_levels(change, components.TAKE_OR_PAY, kept.contract_total_t, variant.contract_total_t,
                keys, lower=True)  # fmt: skip
    _shares(change, kept, variant)
    return change, where


def _cover(change: Change, kept: ModelData, denial: np.ndarray) -> None:
    """Licence cover (6): a delivery's coefficient is its denial share."""
    moved = _changed(kept.denial_share, denial)
    rows = list(zip(kept.point[moved].tolist(), kept.period[moved].tolist(), strict=True))
    if len(moved):
        change.add_entries(components.COVER, components.BUY, rows, moved, denial[moved])


def _budget(
    change: Change, kept: ModelData, variant: ModelData, landed: np.ndarray, keys: Keys
) -> None:
    """Budget (8): a delivery's coefficient is its landed cost; the bound the budget."""
    budgeted = set(keys.get(components.BUDGET, []))
    moved = [i for i in _changed(kept.landed_cost_per_t, landed).tolist()
             if int(kept.period[i]) in budgeted]  # fmt: skip
    periods = [int(kept.period[i]) for i in moved]
    if moved:
        change.add_entries(components.BUDGET, components.BUY, periods, moved, landed[moved])
    limits = _changed(kept.budget, variant.budget)
    if any(np.isfinite(variant.budget[t]) and t not in budgeted for t in limits.tolist()):
        raise Rebuild("a period gains a budget")
    rows = [t for t in limits.tolist() if t in budgeted]
    if rows:
        upper = np.where(np.isfinite(variant.budget[rows]), variant.budget[rows], np.inf)
        change.rows[components.BUDGET] = (rows, np.full(len(rows), -np.inf), upper)


def _capacity(change: Change, kept: ModelData, variant: ModelData, keys: Keys) -> None:
    """Capacity (2): cap[o,t] is the row's bound, or the coefficient −cap of the binary
    that switches it (w[o,t], else z[o], SPEC §7)."""
    rows = np.asarray(keys.get(components.CAPACITY, []), dtype=np.int64)
    offer, period = components.capacity_index(rows, kept.periods)
    before, after = kept.capacity_t[offer, period], variant.capacity_t[offer, period]
    moved = _changed(before, after)
    lots, onboard = set(keys.get(components.LOT, [])), set(keys.get(components.ONBOARD, []))
    plain: list[int] = []
    for i in moved.tolist():
        key, o = int(rows[i]), int(offer[i])
        if key in lots:
            change.add_entries(components.CAPACITY, components.LOT, [key], [key], [-after[i]])
        elif o in onboard:
            change.add_entries(components.CAPACITY, components.ONBOARD, [key], [o], [-after[i]])
        else:
            plain.append(i)
    if plain:
        bounds = (np.full(len(plain), -np.inf), after[plain])
        change.rows[components.CAPACITY] = (rows[plain].tolist(), *bounds)


def _recipe_capacity(change: Change, kept: ModelData, variant: ModelData, keys: Keys) -> None:
    """Recipe capacity (9): K_r is the bound of each run's row; a recipe gains or loses
    its capacity only by a rebuild."""
    rows = np.asarray(keys.get(components.RECIPE_CAPACITY, []), dtype=np.int64)
    after = variant.recipe_capacity[variant.run_recipe[rows]]
    if (
        not np.isfinite(after).all()
        or (np.isfinite(variant.recipe_capacity) != np.isfinite(kept.recipe_capacity)).any()
    ):
        raise Rebuild("a recipe gains or loses its capacity")
    moved = _changed(kept.recipe_capacity[kept.run_recipe[rows]], after)
    if len(moved):
        bounds = (np.full(len(moved), -np.inf), after[moved])
        change.rows[components.RECIPE_CAPACITY] = (rows[moved].tolist(), *bounds)


def _row_levels(
    change: Change,
    name: str,
    before: np.ndarray,
    after: np.ndarray,
    keys: Keys,
    lower: bool = False,
) -> None:
    """Families whose rows share one level per owner: a stock point's floor (3, lower)
    or storage (4), a site's storage (10) and a commitment's volume owed (11, lower),
    keyed by the owner or (owner, period). The rows of each changed level get it as their
    bound; `Rebuild` when a changed owner has no row (a floor or storage limit appears)."""
    if before.shape != after.shape:
        raise Rebuild(f"{name} gains or loses an owner")
    moved = set(_changed(before, after).tolist())
    if not moved:
        return
    owners = [key[0] if isinstance(key, tuple) else key for key in keys.get(name, [])]
    rows = [key for key, owner in zip(keys.get(name, []), owners, strict=True) if owner in moved]
    if {owner for owner in owners if owner in moved} != moved:
        raise Rebuild(f"{name} gains a row")
    level = np.array([after[owner] for owner in owners if owner in moved], dtype=float)
    infinite = np.full(len(rows), np.inf)
    change.rows[name] = (rows, level, infinite) if lower else (rows, -infinite, level)


def _shares(change: Change, kept: ModelData, variant: ModelData) -> None:
    """Country share (7): a cap's new share changes every coefficient of its row."""
    if not np.array_equal(kept.share_material, variant.share_material):
        raise Rebuild("the country share caps differ")
    for cap in _changed(kept.share_limit, variant.share_limit).tolist():
        members, values = share_coefficients(kept, cap, float(variant.share_limit[cap]))
        change.add_entries(components.SHARE, components.BUY, [cap] * len(members), members, values)
