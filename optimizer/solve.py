"""Hand a Pyomo model to HiGHS and bring back values, duals and status.

The model is translated by `handoff.standard_form` (each row keeps its own bounds) and
passed to `highspy` as arrays: no LP file, no per-variable solver plugin. This is the
only module that knows HiGHS.

The termination status is checked before any value is read: only `optimal` produces
a `Solution`; everything else raises `NoPlanError` (with the rows of an irreducible
infeasible subsystem when HiGHS proves the model infeasible).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer.handoff import StandardForm, TriviallyInfeasible, standard_form

METHODS = ("simplex", "ipm", "pdlp", "choose")


@dataclass(frozen=True)
class SolveOptions:
    """What the user may set on HiGHS from the command line."""

    time_limit: float | None = None
    threads: int | None = None
    method: str = "choose"


@dataclass(frozen=True)
class ConflictRow:
    """A constraint in an irreducible infeasible subsystem."""

    component: str
    index: object


@dataclass
class Solution:
    """An optimal solution: values by variable and duals by constraint component."""

    objective: float
    seconds: float
    values: dict[str, np.ndarray] = field(default_factory=dict)
    """variable component name → values in the component's index order"""
    duals: dict[str, np.ndarray] = field(default_factory=dict)
    """constraint component name → row duals in the component's index order"""
    reduced_costs: dict[str, np.ndarray] = field(default_factory=dict)
    """variable component name → reduced costs (column duals) in index order"""
    keys: dict[str, list] = field(default_factory=dict)
    """component name → its index keys, aligned with `values` or `duals`"""
    timings: dict[str, float] = field(default_factory=dict)


class NotSolved(Exception):
    """HiGHS ended without an optimal solution."""

    def __init__(self, status: str, conflict: list[ConflictRow] | None = None) -> None:
        self.status = status
        self.conflict = conflict or []
        super().__init__(status)


def _highs(compiled: StandardForm, options: SolveOptions) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    if options.threads is not None:
        highs.setOptionValue("threads", int(options.threads))
    highs.setOptionValue("solver", options.method)
    lp = highspy.HighsLp()
    lp.num_col_ = len(compiled.cost)
    lp.num_row_ = len(compiled.row_lower)
    lp.col_cost_ = compiled.cost
    lp.col_lower_ = compiled.col_lower
    lp.col_upper_ = compiled.col_upper
    lp.row_lower_ = compiled.row_lower
    lp.row_upper_ = compiled.row_upper
    lp.offset_ = compiled.offset
    matrix = compiled.matrix
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    highs.passModel(lp)
    return highs


def _conflict(highs: highspy.Highs, compiled: StandardForm) -> list[ConflictRow]:
    strategy = highspy.IisStrategy
    highs.setOptionValue(
        "iis_strategy", int(strategy.kIisStrategyFromLp) | int(strategy.kIisStrategyIrreducible)
    )
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    return [ConflictRow(*compiled.owners[row]) for row in iis.row_index_]


def _by_component(model: pyo.ConcreteModel, compiled: StandardForm, result: object) -> Solution:
    """Values and duals sliced back to the Pyomo components they belong to."""
    col_value = np.asarray(result.col_value)
    col_dual = np.asarray(result.col_dual)
    row_dual = np.asarray(result.row_dual)
    values, duals, reduced, keys = {}, {}, {}, {}
    for component in model.component_objects(pyo.Var, active=True):
        start, end = compiled.columns[component.name]
        values[component.name] = col_value[start:end]
        reduced[component.name] = col_dual[start:end]
        keys[component.name] = list(component.keys())
    for component in model.component_objects(pyo.Constraint, active=True):
        rows = compiled.row_of[component.name]
        picked = row_dual[np.maximum(rows, 0)] if len(row_dual) else np.zeros(len(rows))
        duals[component.name] = np.where(rows >= 0, picked, 0.0)
        keys[component.name] = list(component.keys())
    return Solution(
        objective=0.0, seconds=0.0, values=values, duals=duals, reduced_costs=reduced, keys=keys
    )


def solve(
    model: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Solution:
    """Solve to optimality or raise `NotSolved` with the status (and conflict).

    `progress(stage, seconds)` hears of the hand-off before HiGHS starts, and of the
    solve when it ends.
    """
    options = options or SolveOptions()
    report = progress or (lambda stage, seconds: None)
    started = time.perf_counter()
    try:
        compiled = standard_form(model)
    except TriviallyInfeasible:
        raise NotSolved("infeasible: a hard limit cannot be met by any plan") from None
    handed = time.perf_counter()
    highs = _highs(compiled, options)
    passed = time.perf_counter()
    report("hand-off", passed - started)
    highs.run()
    solved = time.perf_counter()
    report("solve", solved - passed)
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        conflict = []
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            conflict = _conflict(highs, compiled)
        raise NotSolved(_status_text(highs, status), conflict)
    solution = _by_component(model, compiled, highs.getSolution())
    solution.objective = highs.getInfo().objective_function_value
    solution.seconds = solved - passed
    solution.timings = {
        "compile": handed - started,
        "pass": passed - handed,
        "solve": solved - passed,
        "extract": time.perf_counter() - solved,
    }
    return solution


def _status_text(highs: highspy.Highs, status: highspy.HighsModelStatus) -> str:
    model_status = highspy.HighsModelStatus
    if status == model_status.kTimeLimit:
        feasible = highs.getInfo().primal_solution_status == 2
        return "time limit reached" + (
            " with a feasible but unproven plan (not written)" if feasible else " with no plan"
        )
    texts = {
        model_status.kInfeasible: "infeasible: the hard limits conflict",
        model_status.kUnboundedOrInfeasible: "infeasible: the hard limits conflict",
        model_status.kUnbounded: "unbounded",
        model_status.kIterationLimit: "iteration limit reached with no plan",
        model_status.kInterrupt: "interrupted",
    }
    return texts.get(status, f"solver stopped: {highs.modelStatusToString(status)}")
