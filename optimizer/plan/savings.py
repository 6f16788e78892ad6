"""What relaxing a binding limit by a realistic step would save, by re-solving.

A dual prices the first unit of a limit only, and only inside its ranging interval: a
0.3 t stock floor whose dual is 2.5 M per t does not save 2.5 M when lifted. So each
binding limit (a dual above zero in some period) gets one stated relaxation, and its
saving is the objective of the scenario minus the optimal objective with only that
relaxation applied:

| limit | relaxation |
|---|---|
| supplier capacity | +10 % capacity in every period |
| recipe capacity | +10 % runs per period |
| stock floor | the whole floor removed (min = 0) |
| storage max | +10 % storage |
| period budget | +10 % of that period's budget |
| country share cap | +5 percentage points (at most 100 %) |

Each relaxation is a variant of the scenario: its `ModelData` with only that change
applied. The pipeline solves it on the scenario's solved model, kept by HiGHS
(`models.changes` states the change, HiGHS re-solves from the last basis). Only the
`RELAXATIONS` limits with the largest first-order estimate are re-solved, and only
while the re-solves fit in a time budget set by the plan's own solve (`budget_seconds`):
on a large model each one costs almost a solve. A relaxation left over is reported at
its first-order estimate, marginal value × step, and its `basis` says so. For a limit
whose level moves (all but the share caps) the estimate is an upper bound: the optimal
cost is convex in the level and the marginal value is its slope there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import components
from models.data import ModelData
from optimizer.domain.derive import Instance, storage_sites
from optimizer.plan.values import NOISE
from optimizer.solver.highs import Solution

RELAXATIONS = 12
"""Binding limits re-solved per scenario (those with the largest dual estimate)."""
CAPACITY_STEP = STORAGE_STEP = BUDGET_STEP = 0.10
SHARE_STEP = 0.05
BUDGET_SHARE = 0.10
"""The re-solves stop before they take more than this share of the plan's own HiGHS
time: at 1M deliveries one takes about 1.2 s beside a 32 s solve (one or two fit); the
example's twelve take 0.1 s and M's 0.8 s (all fit, by the floor)."""
BUDGET_FLOOR_SECONDS = 2.0
"""…but always have this long: every re-solve of a small or medium model fits."""
RESOLVED = "re-solved"
ESTIMATED = "estimated: marginal value × step (not re-solved within the time budget)"
COLUMNS = ["limit", "subject", "relaxation", "binding_periods", "saving", "objective_after",
           "basis"]  # fmt: skip


@dataclass(frozen=True)
class Relaxation:
    """One binding limit and the stated relaxation whose saving is reported."""

    limit: str
    subject: str
    relaxation: str
    binding_periods: int
    estimate: float
    """first-order saving (dual × step), used only to choose which limits to re-solve"""
    base: ModelData
    """the scenario's data"""
    field: str
    """the `ModelData` array the relaxation changes…"""
    at: int
    """…at this position (an offer's row of `capacity_t`: all its periods)…"""
    value: np.ndarray | float
    """…to this value"""

    @property
    def data(self) -> ModelData:
        """The scenario's data with only this relaxation applied (built when asked for:
        at 1M deliveries hundreds of limits bind and a copy of `capacity_t` is 0.2 MB)."""
        changed = getattr(self.base, self.field).copy()
        changed[self.at] = self.value
        return dataclasses.replace(self.base, **{self.field: changed})


def _binding(solution: Solution, name: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """(keys, saving per unit) of a component's rows whose relaxation saves money."""
    keys = np.asarray(solution.keys.get(name, []), dtype=np.int64)
    saving = sign * np.asarray(solution.duals.get(name, np.zeros(0)), dtype=float)
    return keys, saving


def _capacity(instance: Instance, solution: Solution) -> list[Relaxation]:
    data, found = instance.data, []
    keys, saving = _binding(solution, components.CAPACITY, -1.0)
    offers, in_period = components.capacity_index(keys, data.periods)
    for offer in np.unique(offers[saving > NOISE]):
        rows = np.flatnonzero(offers == offer)
        periods = in_period[rows]
        added = CAPACITY_STEP * data.capacity_t[offer, periods]
        record = instance.offers.iloc[int(offer)]
        found.append(
            Relaxation(
                "supplier capacity",
                f"{record['supplier']} / {record['material']}",
                f"+{CAPACITY_STEP:.0%} capacity in every period",
                int((saving[rows] > NOISE).sum()),
                float(saving[rows] @ added),
                data,
                "capacity_t",
                int(offer),
                data.capacity_t[offer] * (1 + CAPACITY_STEP),
            )
        )
    return found


def _recipes(instance: Instance, solution: Solution) -> list[Relaxation]:
    """Recipe capacities K_r (SPEC §2, constraint 9): +10 % runs per period."""
    data, found = instance.data, []
    keys, saving = _binding(solution, components.RECIPE_CAPACITY, -1.0)
    recipe = data.run_recipe[keys] if len(keys) else keys
    for r in np.unique(recipe[saving > NOISE]).tolist():
        rows = np.flatnonzero(recipe == r)
        level = float(data.recipe_capacity[r])
        raised = level * (1 + CAPACITY_STEP)
        found.append(
            Relaxation(
                "recipe capacity",
                f"{instance.inputs.recipes.index[r]} at {instance.inputs.recipes.iloc[r]['site']}",
                f"+{CAPACITY_STEP:.0%} runs per period ({level:,.3f} → {raised:,.3f})",
                int((saving[rows] > NOISE).sum()),
                float(saving[rows].sum() * CAPACITY_STEP * level),
                data,
                "recipe_capacity",
                r,
                raised,
            )
        )
    return found


def _points(instance: Instance, solution: Solution, name: str, sign: float) -> list[Relaxation]:
    """Stock floors (removed) or storage limits (+10 %), one relaxation per stock point."""
    data, points, found = instance.data, instance.points, []
    keys, saving = _binding(solution, name, sign)
    keys = keys.reshape(-1, 2)
    for point in np.unique(keys[saving > NOISE, 0]):
        rows = np.flatnonzero(keys[:, 0] == point)
        subject = f"{points.at[point, 'site']} / {points.at[point, 'material']}"
        if name == components.FLOOR:
            level = float(data.min_t[point])
            patch = ("min_t", int(point), 0.0)
            words = f"remove the stock floor of {level:,.3f} t"
            step = level
        else:
            level = float(data.max_t[point])
            step = STORAGE_STEP * level
            patch = ("max_t", int(point), level + step)
            words = f"+{STORAGE_STEP:.0%} storage ({level:,.3f} t → {level + step:,.3f} t)"
        found.append(
            Relaxation(
                "stock floor" if name == components.FLOOR else "storage max",
                subject,
                words,
                int((saving[rows] > NOISE).sum()),
                float(saving[rows].sum() * step),
                data,
                *patch,
            )
        )
    return found


def _budgets(instance: Instance, solution: Solution) -> list[Relaxation]:
    data, found = instance.data, []
    currency = instance.inputs.settings.currency
    keys, saving = _binding(solution, components.BUDGET, -1.0)
    for row in np.flatnonzero(saving > NOISE):
        t = int(keys[row])
        level = float(data.budget[t])
        raised = level * (1 + BUDGET_STEP)
        found.append(
            Relaxation(
                "period budget",
                f"budget of {instance.inputs.periods[t]}",
                f"+{BUDGET_STEP:.0%} budget ({level:,.0f} → {raised:,.0f} {currency})",
                1,
                float(saving[row] * BUDGET_STEP * level),
                data,
                "budget",
                t,
                raised,
            )
        )
    return found


def _shares(instance: Instance, solution: Solution, buy: np.ndarray) -> list[Relaxation]:
    """Country share caps: the share raised by 5 points, i.e. every coefficient of the row
    (1 − share for touching deliveries, −share for the others) lowered by 5 points."""
    data, found = instance.data, []
    keys, saving = _binding(solution, components.SHARE, -1.0)
    for row in np.flatnonzero(saving > NOISE):
        k = int(keys[row])
        level = float(data.share_limit[k])
        step = min(SHARE_STEP, 1.0 - level)
        members = np.flatnonzero(data.material == data.share_material[k])
        record = instance.shares.iloc[k]
        found.append(
            Relaxation(
                "country share cap",
                f"{record['country']} share of {record['material']}",
                f"cap +{step * 100:.0f} percentage points ({level:.0%} → {level + step:.0%})",
                data.periods,
                float(saving[row] * step * buy[members].sum()),
                data,
                "share_limit",
                k,
                level + step,
            )
        )
    return found


def _site_storage(instance: Instance, solution: Solution) -> list[Relaxation]:
    """Site storage (10): +10 % space at a site, every period."""
    data, found = instance.data, []
    keys, saving = _binding(solution, components.SITE_STORAGE, -1.0)
    keys = keys.reshape(-1, 2)
    names = storage_sites(instance.inputs, instance.points).index.to_numpy()
    for g in np.unique(keys[saving > NOISE, 0]).tolist():
        rows = np.flatnonzero(keys[:, 0] == g)
        level = float(data.storage_limit[g])
        raised = level * (1 + STORAGE_STEP)
        found.append(Relaxation(
            "site storage", str(names[g]),
            f"+{STORAGE_STEP:.0%} space for all materials ({level:,.3f} t → {raised:,.3f} t)",
            int((saving[rows] > NOISE).sum()), float(saving[rows].sum() * STORAGE_STEP * level),
            data, "storage_limit", g, raised,
        ))  # fmt: skip
    return found


def _take_or_pay(instance: Instance, solution: Solution) -> list[Relaxation]:
    """Take-or-pay (11): a commitment 10 % smaller (the volume owed, over the horizon)."""
    data, found = instance.data, []
    keys, saving = _binding(solution, components.TAKE_OR_PAY, 1.0)
    for row in np.flatnonzero(saving > NOISE).tolist():
        k = int(keys[row])
        level = float(data.contract_total_t[k])
        owed = level * (1 - CAPACITY_STEP)
        offer = instance.offers.iloc[int(data.contract_offer[k])]
        found.append(Relaxation(
            "take-or-pay volume", f"{offer['supplier']} / {offer['material']}",
            f"−{CAPACITY_STEP:.0%} committed volume ({level:,.3f} t → {owed:,.3f} t)",
            1, float(saving[row] * CAPACITY_STEP * level),
            data, "contract_total_t", k, owed,
        ))  # fmt: skip
    return found


def relaxations(instance: Instance, solution: Solution, buy: np.ndarray) -> list[Relaxation]:
    """Every binding limit with its stated relaxation, largest first-order estimate first."""
    found = [
        *_capacity(instance, solution),
        *_recipes(instance, solution),
        *_points(instance, solution, components.FLOOR, 1.0),
        *_points(instance, solution, components.STORAGE, -1.0),
        *_budgets(instance, solution),
        *_shares(instance, solution, buy),
        *_site_storage(instance, solution),
        *_take_or_pay(instance, solution),
    ]
    return sorted(found, key=lambda relaxation: -relaxation.estimate)


def budget_seconds(solve_seconds: float) -> float:
    """How long the review's re-solves may take after a solve of `solve_seconds`."""
    return max(BUDGET_FLOOR_SECONDS, BUDGET_SHARE * solve_seconds)


def savings(
    instance: Instance,
    solution: Solution,
    buy: np.ndarray,
    resolve: Callable[[Relaxation], float | None],
    budget: float = float("inf"),
) -> pd.DataFrame:
    """The saving of each of the `RELAXATIONS` most promising relaxations, largest first:
    the scenario's objective minus `resolve(relaxation)`'s optimal objective, while the
    re-solves have taken less than `budget` seconds; after that, each one's first-order
    estimate (`ESTIMATED`). A re-solve is not started when one more of the length the
    earlier ones took would end past the budget."""
    rows, started, resolved = [], time.perf_counter(), 0
    for relaxation in relaxations(instance, solution, buy)[:RELAXATIONS]:
        spent = time.perf_counter() - started
        if spent + (spent / resolved if resolved else 0.0) >= budget:
            saving, basis = relaxation.estimate, ESTIMATED
            after = solution.objective - saving
        else:
            after, basis = resolve(relaxation), RESOLVED
            resolved += 1
            saving = np.nan if after is None else solution.objective - after
        if saving == saving and abs(saving) <= NOISE * max(1.0, abs(solution.objective)):
            saving = 0.0
        rows.append(
            (
                relaxation.limit,
                relaxation.subject,
                relaxation.relaxation,
                relaxation.binding_periods,
                saving,
                after,
                basis,
            )
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("saving", ascending=False, kind="stable").reset_index(drop=True)
