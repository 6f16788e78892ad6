"""Warm re-solves of many variants of one scenario: one kept HiGHS model per worker.

A licence sweep solves hundreds of samples of one scenario (its *envelope*). A draw only
turns a rule's approval to 1 or 0, so every sample's deliveries are among the
envelope's and every licence-cover term is one of the envelope's. The envelope's model
is therefore built, translated and passed to HiGHS once per worker; per sample:

1. `derive` gives the sample's `ModelData` (derive stays the only source of its arrays);
2. the arrays are diffed against the envelope: a delivery the sample lacks gets the
   upper bound 0, the others the sample's unit cost (`changeColsCost`), capacity and
   balance right-hand sides change with `changeRowsBounds`, licence-cover and budget
   coefficients with `changeCoeff`;
3. HiGHS re-solves from the previous optimal basis;
4. the solution is cut back to the sample's own columns and rows, and goes through the
   same plan tables and independent check as a cold solve (`pipeline.finish_scenario`).

A fixed column (upper bound 0) or a cover row whose terms are all 0 leaves the LP's
optimum unchanged, so each objective equals the cold solve's (a test compares every
sample to 1e-9). Whatever the diff does not cover falls back to the cold
`solve_scenario`: a sample outside the envelope, a changed array the diff does not know
(a field added to `ModelData` later), integer variables, detail tasks (their review
tables need every dual), and samples without an optimal plan (the cold solve explains
them). Samples whose rules in force are identical are solved once per worker.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.core as pyo

from models import components
from models.build import build_model
from models.data import ModelData
from optimizer.domain.derive import derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.pipeline import ScenarioRun, finish_scenario, solve_scenario, timed
from optimizer.solver.highs import Solution
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import TriviallyInfeasible, standard_form
from optimizer.solver.warm import KeptModel

FIXED = (
    "periods", "initial_t", "min_t", "max_t", "target_end_t", "holding_cost_per_t",
    "shortage_penalty_per_t", "safety_penalty_per_t", "salvage_value_per_t", "pipeline_t",
    "budget", "share_limit", "share_material", "fixed_cost", "min_order_t", "offer_material",
    "max_suppliers",
)  # fmt: skip
"""Arrays a variant must share with its envelope (they shape rows that are never changed)."""
DIFFED = (
    "offer", "point", "period", "material", "landed_cost_per_t", "risk_cost_per_t",
    "denial_share", "capacity_t", "demand_t", "share_cap", "share_delivery",
)  # fmt: skip
"""Arrays the diff maps onto bounds, costs and coefficients of the kept model."""
REMEMBERED = 4096
"""Solved variants kept per worker, by their rules in force."""
VARIABLES = ("stock", "shortfall", "floor_gap", "end_gap")
"""Variables whose index does not depend on the variant (all but buy and cover_gap)."""


class OutsideEnvelope(Exception):
    """The variant needs a column, row or coefficient the kept model does not have."""


def _delivery_keys(data: ModelData) -> np.ndarray:
    """One integer per delivery (offer, point, period)."""
    return (data.offer * data.points + data.point) * data.periods + data.period


@dataclass(frozen=True)
class _Rows:
    """Solver rows of one constraint family, by the family's keys."""

    keys: np.ndarray
    rows: np.ndarray

    def of(self, keys: np.ndarray) -> np.ndarray:
        """The rows of `keys` (each must be one of the family's)."""
        found = np.searchsorted(self.keys, keys)
        if len(keys) and (found.max() >= len(self.keys) or (self.keys[found] != keys).any()):
            raise OutsideEnvelope("a row the envelope does not have")
        return self.rows[found]


def _codes(keys: list, periods: int) -> np.ndarray:
    """Integer codes of index keys: p·T + t for (p, t), the key itself otherwise."""
    return np.asarray(
        [key[0] * periods + key[1] if isinstance(key, tuple) else key for key in keys],
        dtype=np.int64,
    )


def _indexed(keys: list, places: np.ndarray, periods: int) -> _Rows:
    """Solver rows (or columns) `places` of the members `keys`, searchable by code."""
    codes = _codes(keys, periods)
    order = np.argsort(codes, kind="stable")
    return _Rows(codes[order], np.asarray(places, dtype=np.int64)[order])


def _family(model: pyo.ConcreteModel, rows_of: dict[str, np.ndarray], name: str) -> _Rows:
    """Rows of constraint `name`, by the codes of its keys."""
    component = model.component(name)
    keys = list(component.keys()) if component is not None else []
    rows = rows_of.get(name, np.zeros(0, dtype=np.int64))
    return _indexed(keys, rows, len(model.PERIODS))


class WarmScenario:
    """The envelope's model kept by HiGHS, and what maps a variant onto it."""

    def __init__(self, inputs: Inputs, envelope: Scenario, options: SolveOptions) -> None:
        self.inputs, self.envelope, self.options = inputs, envelope, options
        data = derive(inputs, envelope).data
        model = build_model(data)
        self.mixed = any(not var.is_continuous() for var in model.component_data_objects(pyo.Var))
        compiled = standard_form(model)
        self.data, self.compiled = data, compiled
        self.keys = {name: compiled.keys[name] for name in VARIABLES}
        self.buy = compiled.columns[components.BUY][0]
        keys = _delivery_keys(data)
        self.order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[self.order]
        rows_of = compiled.row_of
        self.balance = _family(model, rows_of, components.BALANCE)
        self.capacity = _family(model, rows_of, components.CAPACITY)
        self.cover = _family(model, rows_of, components.COVER)
        self.budget = _family(model, rows_of, components.BUDGET)
        start, end = compiled.columns[components.COVER_GAP]
        gaps = list(model.cover_gap.keys())
        self.cover_gap = _indexed(gaps, np.arange(start, end), data.periods)
        self.entries = self._entries(data)
        rows, cols, _, _ = self.entries
        self.kept = None if self.mixed else KeptModel(compiled, options, (rows, cols))
        self.solved: dict[tuple, ScenarioRun] = {}

    def _entries(self, data: ModelData) -> tuple[np.ndarray, ...]:
        """(row, column, delivery, is a cover term) of every cover and budget term."""
        licensed = np.flatnonzero(data.denial_share > 0)
        cover_rows = self.cover.of(data.point[licensed] * data.periods + data.period[licensed])
        budgeted = np.flatnonzero(
            np.isin(data.period, self.budget.keys) & (data.landed_cost_per_t != 0)
        )
        budget_rows = self.budget.of(data.period[budgeted])
        deliveries = np.r_[licensed, budgeted]
        is_cover = np.arange(len(deliveries)) < len(licensed)
        return np.r_[cover_rows, budget_rows], self.buy + deliveries, deliveries, is_cover

    def _entry_values(self, data: ModelData, position: np.ndarray) -> np.ndarray:
        """The terms' values for a variant whose delivery i is envelope delivery
        position[i]; deliveries the variant lacks (fixed at 0) keep their values."""
        kept = self.kept.entry_values  # type: ignore[union-attr]
        if data.deliveries == 0:
            return kept
        _, _, deliveries, is_cover = self.entries
        variant = np.full(self.data.deliveries, -1)
        variant[position] = np.arange(len(position))
        mine = variant[deliveries]
        at = np.maximum(mine, 0)
        found = np.where(is_cover, data.denial_share[at], data.landed_cost_per_t[at])
        return np.where(mine >= 0, found, kept)

    def _positions(self, data: ModelData) -> np.ndarray:
        """Envelope position of each of the variant's deliveries."""
        keys = _delivery_keys(data)
        found = np.searchsorted(self.sorted_keys, keys)
        found = np.minimum(found, len(self.sorted_keys) - 1)
        if len(keys) and (len(self.sorted_keys) == 0 or (self.sorted_keys[found] != keys).any()):
            raise OutsideEnvelope("a delivery the envelope does not have")
        return self.order[found]

    def _check_shape(self, data: ModelData, position: np.ndarray) -> None:
        """Raise `OutsideEnvelope` unless the kept model, changed by `_change`, is the
        variant's LP (up to columns fixed at 0 and cover rows without terms)."""
        envelope = self.data
        known = set(FIXED) | set(DIFFED)
        if {field.name for field in dataclasses.fields(ModelData)} != known:
            raise OutsideEnvelope("ModelData has arrays the warm diff does not know")
        for name in FIXED:
            if not np.array_equal(getattr(data, name), getattr(envelope, name), equal_nan=True):
                raise OutsideEnvelope(f"{name} differs from the envelope's")
        if not np.array_equal(data.material, envelope.material[position]):
            raise OutsideEnvelope("material of a delivery differs")
        shares = data.share_cap * envelope.deliveries + position[data.share_delivery]
        inside = np.isin(envelope.share_delivery, position)
        wanted = envelope.share_cap[inside] * envelope.deliveries + envelope.share_delivery[inside]
        if not np.array_equal(np.sort(shares), np.sort(wanted)):
            raise OutsideEnvelope("country-share terms differ")
        licensed = position[data.denial_share > 0]
        if (envelope.denial_share[licensed] <= 0).any():
            raise OutsideEnvelope("a licence-cover term the envelope does not have")
        landed = position[data.landed_cost_per_t != 0]
        if (envelope.landed_cost_per_t[landed] == 0).any():
            raise OutsideEnvelope("a budget term the envelope does not have")

    def _change(self, data: ModelData, position: np.ndarray) -> None:
        """Costs, bounds, right-hand sides and terms of the variant, into the kept model."""
        compiled, buy = self.compiled, self.buy
        cost = compiled.cost.copy()
        cost[buy + position] = data.landed_cost_per_t + data.risk_cost_per_t
        upper = compiled.col_upper.copy()
        upper[buy : buy + self.data.deliveries] = 0.0
        upper[buy + position] = compiled.col_upper[buy + position]
        row_lower, row_upper = compiled.row_lower.copy(), compiled.row_upper.copy()
        rhs = data.demand_t - data.pipeline_t
        rhs[:, 0] -= data.initial_t
        rows = self.balance.of(np.arange(rhs.size))
        row_lower[rows] = row_upper[rows] = rhs.ravel()
        rows = self.capacity.rows
        row_upper[rows] = data.capacity_t.ravel()[self.capacity.keys]
        self.kept.change(  # type: ignore[union-attr]
            cost,
            (compiled.col_lower, upper),
            (row_lower, row_upper),
            self._entry_values(data, position),
        )

    def _solution(self, data: ModelData, position: np.ndarray, result: object) -> Solution:
        """The re-solve's arrays cut back to the variant's own columns and rows."""
        columns, values = self.compiled.columns, result.col_value  # type: ignore[attr-defined]
        solution = Solution(objective=result.objective, seconds=result.seconds)  # type: ignore[attr-defined]
        solution.values[components.BUY] = values[self.buy + position]
        solution.keys[components.BUY] = list(range(data.deliveries))
        for name in VARIABLES:
            start, end = columns[name]
            solution.values[name], solution.keys[name] = values[start:end], self.keys[name]
        licensed = data.denial_share > 0
        cover = np.unique(data.point[licensed] * data.periods + data.period[licensed])
        solution.values[components.COVER_GAP] = values[self.cover_gap.of(cover)]
        solution.keys[components.COVER_GAP] = [divmod(int(key), data.periods) for key in cover]
        capacity = np.unique(data.offer * data.periods + data.period)
        solution.duals[components.CAPACITY] = result.row_dual[self.capacity.of(capacity)]  # type: ignore[attr-defined]
        solution.keys[components.CAPACITY] = capacity.tolist()
        solution.timings = {"solve": result.seconds}  # type: ignore[attr-defined]
        return solution

    def solve(self, scenario: Scenario) -> ScenarioRun:
        """The variant's plan (summary tables only), warm when it fits, else cold."""
        key = (scenario.demand_factor, _fingerprint(scenario.rules))
        if key in self.solved:
            return _renamed(self.solved[key], scenario)
        timings: dict[str, float] = {}
        with timed(timings, "derive"):
            instance = derive(self.inputs, scenario)
        data = instance.data
        try:
            if self.kept is None:
                raise OutsideEnvelope("integer variables: solved cold")
            with timed(timings, "change"):
                position = self._positions(data)
                self._check_shape(data, position)
                self._change(data, position)
            result = self.kept.solve()
            if not result.optimal:
                raise OutsideEnvelope(result.status)
        except OutsideEnvelope:
            run = solve_scenario(self.inputs, scenario, self.options, analyses=False)
        else:
            timings["solve"] = result.seconds
            solution = self._solution(data, position, result)
            run = finish_scenario(instance, solution, False, timings)
        if len(self.solved) < REMEMBERED:
            self.solved[key] = run
        return run


def _fingerprint(rules: pd.DataFrame) -> bytes:
    """The rules in force, as bytes that differ when any value differs."""
    return pd.util.hash_pandas_object(rules, index=False).to_numpy().tobytes()


def _renamed(run: ScenarioRun, scenario: Scenario) -> ScenarioRun:
    """A remembered run reported under another sample's name."""
    summary = dict(run.tables.summary)
    summary["scenario"] = scenario.name
    summary["scenario_chain"] = " → ".join(scenario.chain)
    tables = dataclasses.replace(run.tables, summary=summary)
    instance = dataclasses.replace(run.instance, scenario=scenario)
    return dataclasses.replace(run, instance=instance, tables=tables)


_KEPT = threading.local()
"""This worker thread's kept model (one: a thread serves one sweep at a time; a Dask
worker with several threads keeps one per thread, as a HiGHS model is not shared)."""


def kept_model() -> WarmScenario | None:
    """This thread's kept model, if it has one."""
    return getattr(_KEPT, "model", None)


def forget_kept_model() -> None:
    """Drop this thread's kept model (a benchmark run starts afresh)."""
    _KEPT.model = None


def solve_variant(
    inputs: Inputs, envelope: Scenario, scenario: Scenario, options: SolveOptions
) -> ScenarioRun:
    """Solve `scenario`, a variant of `envelope`, on this thread's kept model."""
    kept = kept_model()
    if (
        kept is None
        or kept.inputs is not inputs
        or kept.options != options
        or kept.envelope.name != envelope.name
        or kept.envelope.demand_factor != envelope.demand_factor
        or _fingerprint(kept.envelope.rules) != _fingerprint(envelope.rules)
    ):
        try:
            kept = WarmScenario(inputs, envelope, options)
        except TriviallyInfeasible:  # no plan for the envelope: each sample on its own
            return solve_scenario(inputs, scenario, options, analyses=False)
        _KEPT.model = kept
    return kept.solve(scenario)
