"""Licence sweeps on one kept HiGHS model per worker.

A sweep solves hundreds of licence draws of one scenario (its *envelope*). A draw only
turns the approvals of the envelope's licensed rules to 1 or 0 (`domain.draws`), so a
sample is the envelope with some deliveries removed and approval 1 on the others: no
denial share and no risk cost, the same landed costs, delays, capacities and demand.
The envelope is derived, built and passed to HiGHS once per worker; per sample:

1. `LicenceSamples.kept` gives the deliveries the draw keeps (nothing is derived again);
2. the others get the upper bound 0, every delivery's cost becomes its landed cost and
   every licence-cover term 0 (`KeptModel.change` sends only what differs from the
   model HiGHS holds, so after the first sample only the bounds of a few columns);
3. HiGHS re-solves from the previous optimal basis;
4. the summary (objective, cost terms, tonnages, tonnes per offer) is computed from the
   solution's arrays, and the solution is checked family by family against the sample's
   data (`plan.residuals`): a failure is an error, never a figure.

A column fixed at 0 and a cover row without terms leave the LP's optimum unchanged, so
each objective equals the cold solve of the sample (the tests compare every sample to
1e-9 and pass each sample's plan through the full table check of `plan.checks`).
Integer models (branch and bound keeps no basis to start from) and samples without an
optimal plan (the cold solve explains why) are solved cold by `solve_scenario`. A draw
already solved by this worker is not solved again.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pyomo.core as pyo

from models import components
from models.build import build_model
from models.data import ModelData
from optimizer.domain.derive import derive
from optimizer.domain.draws import LicenceSamples
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.pipeline import PlanCheckError, solve_scenario
from optimizer.plan.outcomes import TaskResult
from optimizer.plan.residuals import residual_violations
from optimizer.plan.tables import (
    COST_TERMS,
    Values,
    as_stored,
    clean,
    offer_tonnes,
    plan_measures,
)
from optimizer.runs.results import solved_result
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm, TriviallyInfeasible, standard_form
from optimizer.solver.warm import KeptModel, WarmResult


class SolveCold(Exception):
    """The sample is solved by the cold pipeline (an integer model, or no optimum warm)."""


REMEMBERED = 4096
"""Solved draws kept per worker."""
GRIDS = {
    "stock": components.STOCK,
    "shortfall": components.SHORTFALL,
    "floor_gap": components.FLOOR_GAP,
    "cover_gap": components.COVER_GAP,
    "end_gap": components.END_GAP,
}
"""`Values` fields read as (point, period) grids, and their variable components."""


def _grid_index(keys: list, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """(points, periods) positions of a component keyed (p, t), or p for the last period."""
    pairs = [key if isinstance(key, tuple) else (key, periods - 1) for key in keys]
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return index[:, 0], index[:, 1]


def _cover_entries(compiled: StandardForm, data: ModelData, buy: int) -> tuple[np.ndarray, ...]:
    """(row, column) of every licence-cover term of the kept model."""
    licensed = np.flatnonzero(data.denial_share > 0)
    keys = compiled.keys.get(components.COVER, [])
    row_of = dict(zip(keys, compiled.row_of.get(components.COVER, []), strict=True))
    where = zip(data.point[licensed].tolist(), data.period[licensed].tolist(), strict=True)
    rows = [row_of[key] for key in where]
    return np.asarray(rows, dtype=np.int64), buy + licensed


class WarmScenario:
    """The envelope's model kept by HiGHS, and what maps a draw onto it."""

    def __init__(self, inputs: Inputs, envelope: Scenario, options: SolveOptions) -> None:
        self.inputs, self.envelope, self.options = inputs, envelope, options
        self.instance = instance = derive(inputs, envelope)
        data = instance.data
        model = build_model(data)
        integer = any(not var.is_continuous() for var in model.component_data_objects(pyo.Var))
        compiled = standard_form(model)
        del model
        self.compiled, self.samples = compiled, LicenceSamples(instance)
        self.buy = compiled.columns[components.BUY][0]
        self.grids = {
            field: (compiled.columns[name], _grid_index(compiled.keys[name], data.periods))
            for field, name in GRIDS.items()
        }
        zeros = np.zeros(data.deliveries)
        self.data = dataclasses.replace(data, risk_cost_per_t=zeros, denial_share=zeros)
        prices = instance.deliveries[["purchase_per_t", "tariff_per_t", "freight_per_t"]]
        self.sampled = dataclasses.replace(instance, data=self.data, deliveries=prices)
        """the envelope as the measures of a sample read it: approval 1 wherever a
        delivery is kept, and only the price columns of its deliveries"""
        self.licensed = instance.deliveries["delay_days"].to_numpy(float) > 0
        self.cost = compiled.cost.copy()
        self.cost[self.buy : self.buy + data.deliveries] = data.landed_cost_per_t
        entries = _cover_entries(compiled, data, self.buy)
        self.kept = None if integer else KeptModel(compiled, options, entries)
        self.solved: dict[tuple[bool, ...], TaskResult] = {}

    def _values(self, result: WarmResult) -> Values:
        """The re-solve's values as the plan tables read them."""
        shape = (self.data.points, self.data.periods)
        grids = {}
        for field, ((start, end), (points, periods)) in self.grids.items():
            grid = np.zeros(shape)
            grid[points, periods] = result.col_value[start:end]
            grids[field] = clean(grid)
        buy = result.col_value[self.buy : self.buy + self.data.deliveries]
        return Values(buy=clean(buy), onboarded=np.zeros(len(self.instance.offers)), **grids)

    def _warm(self, kept: KeptModel, scenario: Scenario, started: float) -> TaskResult:
        """Re-solve the kept model as the sample; raise `SolveCold` without an
        optimum (the cold solve then says why)."""
        compiled = self.compiled
        usable = self.samples.kept(scenario)
        upper = compiled.col_upper.copy()
        upper[self.buy : self.buy + self.data.deliveries][~usable] = 0.0
        entries = np.zeros(len(kept.entry_values))
        rows = (compiled.row_lower, compiled.row_upper)
        kept.change(self.cost, (compiled.col_lower, upper), rows, entries)
        result = kept.solve()
        if not result.optimal:
            raise SolveCold(result.status)
        values = self._values(result)
        measures = plan_measures(self.sampled, values, result.objective, self.licensed & usable)
        terms = {name: measures[name] for name in COST_TERMS}
        violations = residual_violations(self.data, values, usable, terms, result.objective)
        if violations:
            raise PlanCheckError([f"{scenario.name}: {text}" for text in violations])
        summary = {
            "scenario": scenario.name,
            "status": "optimal",
            **{name: as_stored(value) for name, value in measures.items()},
            "solve_seconds": as_stored(result.seconds),
            "delivery_variables": int(usable.sum()),
        }
        return TaskResult(
            0,
            scenario.name,
            status="optimal",
            summary=summary,
            usage=offer_tonnes(self.data, values.buy),
            seconds=time.perf_counter() - started,
        )

    def sample(self, index: int, scenario: Scenario) -> TaskResult:
        """The sample's summary: warm when the model is an LP, else cold."""
        started = time.perf_counter()
        draw = scenario.draw
        if draw in self.solved:
            return _renamed(self.solved[draw], index, scenario.name)
        try:
            if self.kept is None or draw is None:
                raise SolveCold("integer variables, or not a licence draw")
            result = self._warm(self.kept, scenario, started)
        except SolveCold:
            run = solve_scenario(self.inputs, scenario, self.options, analyses=False)
            result = solved_result(index, run, False, started)
        if len(self.solved) < REMEMBERED and draw is not None:
            self.solved[draw] = result
        return dataclasses.replace(result, index=index)


def _renamed(result: TaskResult, index: int, name: str) -> TaskResult:
    """A remembered draw reported as another sample."""
    summary = {**result.summary, "scenario": name}
    return dataclasses.replace(result, index=index, scenario=name, summary=summary, seconds=0.0)


_KEPT = threading.local()
"""This worker thread's kept model (one: a thread serves one sweep at a time; a Dask
worker with several threads keeps one per thread, as a HiGHS model is not shared)."""


def kept_model() -> WarmScenario | None:
    """This thread's kept model, if it has one."""
    return getattr(_KEPT, "model", None)


def forget_kept_model() -> None:
    """Drop this thread's kept model (a benchmark run starts afresh)."""
    _KEPT.model = None


def _same_scenario(one: Scenario, other: Scenario) -> bool:
    """Whether two scenarios have the same name, demand factor and rules in force."""
    return (
        one.name == other.name
        and one.demand_factor == other.demand_factor
        and one.rules.equals(other.rules)
    )


def solve_sample(
    inputs: Inputs, envelope: Scenario, index: int, scenario: Scenario, options: SolveOptions
) -> TaskResult:
    """Solve `scenario`, a licence draw of `envelope`, on this thread's kept model."""
    kept = kept_model()
    if (
        kept is None
        or kept.inputs is not inputs
        or kept.options != options
        or not (kept.envelope is envelope or _same_scenario(kept.envelope, envelope))
    ):
        started = time.perf_counter()
        try:
            kept = WarmScenario(inputs, envelope, options)
        except TriviallyInfeasible:  # no plan for the envelope: each sample on its own
            run = solve_scenario(inputs, scenario, options, analyses=False)
            return solved_result(index, run, False, started)
        _KEPT.model = kept
    return kept.sample(index, scenario)
