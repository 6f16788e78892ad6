"""Hand a Pyomo model to HiGHS and bring back values, duals and status.

The model is compiled by Pyomo's `LinearStandardFormCompiler` (mixed form: each row
keeps its own sense) and passed to `highspy` as arrays: no LP file, no per-variable
solver plugin. This is the only module that knows HiGHS.

The termination status is checked before any value is read: only `optimal` produces
a `Solution`; everything else raises `NoPlanError` (with the rows of an irreducible
infeasible subsystem when HiGHS proves the model infeasible).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INF = highspy.kHighsInf
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
    keys: dict[str, list] = field(default_factory=dict)
    """component name → its index keys, aligned with `values` or `duals`"""
    timings: dict[str, float] = field(default_factory=dict)


class NotSolved(Exception):
    """HiGHS ended without an optimal solution."""

    def __init__(self, status: str, conflict: list[ConflictRow] | None = None) -> None:
        self.status = status
        self.conflict = conflict or []
        super().__init__(status)


@dataclass(frozen=True)
class _Compiled:
    columns: list
    rows: list
    cost: np.ndarray
    offset: float
    matrix: object
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray


def _compile(model: pyo.ConcreteModel) -> _Compiled:
    order = [var for comp in model.component_objects(pyo.Var) for var in comp.values()]
    info = LinearStandardFormCompiler().write(model, mixed_form=True, column_order=order)
    kinds = np.fromiter((row.bound_type for row in info.rows), dtype=np.int8, count=len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float)
    lower = np.where(kinds == 1, -INF, rhs)
    upper = np.where(kinds == -1, INF, rhs)
    columns = info.columns
    col_lower = np.array([-INF if v.lb is None else v.lb for v in columns], dtype=float)
    col_upper = np.array([INF if v.ub is None else v.ub for v in columns], dtype=float)
    cost = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(len(columns))
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    return _Compiled(columns, info.rows, cost, offset, info.A, lower, upper, col_lower, col_upper)


def _highs(compiled: _Compiled, options: SolveOptions) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    if options.threads is not None:
        highs.setOptionValue("threads", int(options.threads))
    highs.setOptionValue("solver", options.method)
    lp = highspy.HighsLp()
    lp.num_col_ = len(compiled.columns)
    lp.num_row_ = len(compiled.rows)
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


def _conflict(highs: highspy.Highs, rows: list) -> list[ConflictRow]:
    strategy = highspy.IisStrategy
    highs.setOptionValue(
        "iis_strategy", int(strategy.kIisStrategyFromLp) | int(strategy.kIisStrategyIrreducible)
    )
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    found = []
    for index in iis.row_index_:
        data = rows[index].constraint
        found.append(ConflictRow(data.parent_component().name, data.index()))
    return found


def _per_component(
    components: list, members: list, flat: np.ndarray, missing: float = 0.0
) -> dict[str, np.ndarray]:
    """Per-component arrays in each component's index order from a flat solver array.

    `members` are the compiled columns (or row constraints) aligned with `flat`. A member
    the compiler left out (a variable in no row, a constraint with no variable) gets
    `missing`.
    """
    position = {id(member): index for index, member in enumerate(members)}
    result = {}
    for component in components:
        found = [position.get(id(member), -1) for member in component.values()]
        picked = np.asarray(found, dtype=np.int64)
        values = np.where(picked >= 0, flat[np.maximum(picked, 0)] if len(flat) else 0.0, missing)
        result[component.name] = values.astype(float)
    return result


def solve(model: pyo.ConcreteModel, options: SolveOptions | None = None) -> Solution:
    """Solve to optimality or raise `NotSolved` with the status (and conflict)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    try:
        compiled = _compile(model)
    except InfeasibleConstraintException:
        raise NotSolved("infeasible: a hard limit cannot be met by any plan") from None
    handed = time.perf_counter()
    highs = _highs(compiled, options)
    passed = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        conflict = []
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            conflict = _conflict(highs, compiled.rows)
        raise NotSolved(_status_text(highs, status), conflict)
    result = highs.getSolution()
    variables = list(model.component_objects(pyo.Var))
    constraints = list(model.component_objects(pyo.Constraint))
    row_constraints = [row.constraint for row in compiled.rows]
    values = _per_component(variables, compiled.columns, np.asarray(result.col_value))
    duals = _per_component(constraints, row_constraints, np.asarray(result.row_dual))
    objective = highs.getInfo().objective_function_value
    return Solution(
        objective=objective,
        seconds=solved - passed,
        values=values,
        duals=duals,
        keys={component.name: list(component.keys()) for component in variables + constraints},
        timings={"compile": handed - started, "pass": passed - handed, "solve": solved - passed},
    )


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
