"""Plan stability in the nightly job (SPEC v3 §5): tonight's plan closest to the last one.

The last run's Plan and Production sheets are read back as arrays aligned with tonight's
model (a cell that no longer exists counts with x = 0 and only adds a constant to the
distance); the stable plan is solved through the one solve path (`pipeline.solve_stable`)
and checked there, its cost against the bound too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import components
from models.stability import StabilityData
from optimizer.domain.derive import Instance
from optimizer.pipeline import ScenarioRun, solve_stable
from optimizer.solver.options import SolveOptions

DELIVERY_KEY = ["supplier", "material", "site", "period"]
RUN_KEY = ["recipe", "start_period"]


@dataclass(frozen=True)
class Stability:
    """What the stable plan kept: the optimum, its own cost and the tonnes kept."""

    tolerance: float
    optimum: float
    objective: float
    kept_t: float
    """Σ min(x, x_last) over every delivery cell: tonnes the last plan had that stay"""
    last_t: float
    """Σ x_last: tonnes of the last plan"""

    def heading(self) -> list[tuple[str, object]]:
        """The lines the Changes sheet (and page 1) show."""
        return [
            ("plan stability", f"the plan closest to the last run's, costing at most "
             f"{self.tolerance:.4%} above the optimum"),
            ("optimum (cheapest plan)", self.optimum),
            ("objective of the stable plan", self.objective),
            ("tonnes kept from the last plan (t)", self.kept_t),
            ("tonnes in the last plan (t)", self.last_t),
        ]  # fmt: skip

    def as_record(self) -> dict[str, object]:
        """run.json's stability figures of a scenario (its objective is the summary's)."""
        return {
            "optimum": self.optimum, "stability_tolerance": self.tolerance,
            "kept_t": self.kept_t, "last_t": self.last_t,
        }  # fmt: skip


def cost_bound(optimum: float, tolerance: float) -> float:
    """optimum + tolerance·|optimum| (SPEC §5: (1 + tolerance) × the optimum, the same
    share of |optimum| added when it is negative), and a hair more for the solver's
    feasibility tolerance, so that tolerance 0 still admits every optimal plan."""
    return optimum + tolerance * abs(optimum) + 1e-9 * max(1.0, abs(optimum))


def tie_break_weight(instance: Instance) -> float:
    """1 / the largest landed and risk cost per t of a delivery: a tonne moved (distance
    ≥ 1) outweighs what it saves on its own price."""
    data = instance.data
    per_t = data.landed_cost_per_t + data.risk_cost_per_t
    return 1.0 / max(1.0, float(per_t.max()) if len(per_t) else 1.0)


def _aligned(keys: pd.DataFrame, last: pd.DataFrame, key: list[str], value: str) -> np.ndarray:
    """`last[value]` summed per `key`, in the order of the rows of `keys` (0 where absent)."""
    if last.empty or not set([*key, value]) <= set(last.columns):
        return np.zeros(len(keys))
    totals = last.groupby(key)[value].sum()
    index = pd.MultiIndex.from_frame(keys[key].astype(str))
    totals.index = pd.MultiIndex.from_frame(totals.index.to_frame().astype(str))
    return totals.reindex(index).fillna(0.0).to_numpy(dtype=float)


def last_arrays(instance: Instance, plan: pd.DataFrame, production: pd.DataFrame):
    """(x_last per delivery, n_last per run) of tonight's model, from the last run's sheets."""
    periods = instance.inputs.periods
    deliveries = instance.deliveries.assign(
        period=[periods[t] for t in instance.deliveries["period"]]
    )
    data = instance.data
    runs = pd.DataFrame({
        "recipe": instance.inputs.recipes.index[data.run_recipe] if data.runs else [],
        "start_period": [periods[t] for t in data.run_period],
    })  # fmt: skip
    return _aligned(deliveries, plan, DELIVERY_KEY, "quantity"), _aligned(
        runs, production, RUN_KEY, "runs"
    )


def stable_run(
    instance: Instance,
    options: SolveOptions,
    tolerance: float,
    last: tuple[pd.DataFrame, pd.DataFrame],
) -> tuple[ScenarioRun, Stability]:
    """Tonight's stable plan of `instance` against the last run's (Plan, Production)."""
    last_buy, last_runs = last_arrays(instance, *last)
    run, optimum = solve_stable(
        instance,
        options,
        lambda optimum: StabilityData(
            last_buy, last_runs, cost_bound(optimum, tolerance), tie_break_weight(instance)
        ),
    )
    buy = np.asarray(run.solution.values.get(components.BUY, np.zeros(len(last_buy))), dtype=float)
    total_last = float(last[0]["quantity"].sum()) if "quantity" in last[0] else 0.0
    kept = float(np.minimum(buy, last_buy).sum())
    return run, Stability(tolerance, optimum, run.summary.objective, kept, total_last)
