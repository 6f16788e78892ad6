"""Hand a Pyomo model to HiGHS and bring back values, duals and status.

The model is translated by `handoff.standard_form` (each row keeps its own bounds) and
passed to `highspy` as arrays: no LP file, no per-variable solver plugin. This is the
only module that knows HiGHS.

The termination status is checked before any value is read: only `optimal` produces
a `Solution`; everything else raises `NoPlanError` (with the rows of an irreducible
infeasible subsystem when HiGHS proves the model infeasible).

Two behaviours of newer highspy releases are handled here (issue 10): `Highs()` prints
a banner on the process's standard output before `output_flag` can be turned off, so
every instance is created with file descriptor 1 pointing at standard error; and the
process-wide thread scheduler keeps the thread count of its first solve, refusing any
other, so it is reset whenever a solve asks for a different count. Every HiGHS call that
reports a status is checked; a refusal becomes `SolverError`, never a silent "Not Set".
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.core as pyo

from optimizer.problems import ReoptError
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm, TriviallyInfeasible, standard_form


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


class SolverError(ReoptError):
    """HiGHS refused a call (an option, the model, the run): a bug or a broken install."""

    def __init__(self, call: str, status: object) -> None:
        self.call, self.status = call, status
        super().__init__(f"HiGHS refused {call} (status {status})")

    def lines(self) -> list[str]:
        """One line naming the refused call."""
        return [f"Internal error: HiGHS refused {self.call} (status {self.status}); no plan."]


_LIBC = ctypes.CDLL(None)
_SCHEDULER = threading.Lock()
_scheduler_threads: list[int] = []
"""The thread count the process-wide HiGHS scheduler was started with (empty: none yet)."""


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what C code prints on file descriptor 1 to standard error meanwhile."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no usable descriptors: nothing to protect
        yield
        return
    try:
        yield
    finally:
        _LIBC.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)


def _checked(call: str, status: object) -> None:
    if status != highspy.HighsStatus.kOk:
        raise SolverError(call, status)


def _set(highs: highspy.Highs, name: str, value: object) -> None:
    _checked(f"option {name}={value!r}", highs.setOptionValue(name, value))


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance: its banner goes to standard error, its log nowhere."""
    with _stdout_to_stderr():
        highs = highspy.Highs()
        _set(highs, "output_flag", False)
    return highs


def _run(highs: highspy.Highs, threads: int) -> None:
    """`highs.run()` on a scheduler started with `threads` (0: HiGHS's choice).

    HiGHS starts one scheduler per process at the first solve and refuses later solves
    that ask for another thread count, so the scheduler is reset when the count changes.
    Solves in one process are serialised by this lock, so no reset hits a running solve.
    """
    with _SCHEDULER:
        if _scheduler_threads and _scheduler_threads[0] != threads:
            highspy.Highs.resetGlobalScheduler(True)
            _scheduler_threads.clear()
        status = highs.run()
        if not _scheduler_threads:
            _scheduler_threads.append(threads)
    if status == highspy.HighsStatus.kError:
        raise SolverError("the solve", status)


def _highs(compiled: StandardForm, options: SolveOptions) -> highspy.Highs:
    highs = new_highs()
    if options.time_limit is not None:
        _set(highs, "time_limit", float(options.time_limit))
    _set(highs, "threads", int(options.threads or 0))
    _set(highs, "solver", options.method)
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
    _checked("the model", highs.passModel(lp))
    return highs


def _conflict(highs: highspy.Highs, compiled: StandardForm) -> list[ConflictRow]:
    strategy = highspy.IisStrategy
    _set(
        highs,
        "iis_strategy",
        int(strategy.kIisStrategyFromLp) | int(strategy.kIisStrategyIrreducible),
    )
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    return [ConflictRow(*compiled.owners[row]) for row in iis.row_index_]


def _by_component(compiled: StandardForm, result: object) -> Solution:
    """Values and duals sliced back to the Pyomo components they belong to."""
    col_value = np.asarray(result.col_value)
    col_dual = np.asarray(result.col_dual)
    row_dual = np.asarray(result.row_dual)
    values, duals, reduced = {}, {}, {}
    for name, (start, end) in compiled.columns.items():
        values[name] = col_value[start:end]
        reduced[name] = col_dual[start:end]
    for name, rows in compiled.row_of.items():
        picked = row_dual[np.maximum(rows, 0)] if len(row_dual) else np.zeros(len(rows))
        duals[name] = np.where(rows >= 0, picked, 0.0)
    return Solution(
        objective=0.0,
        seconds=0.0,
        values=values,
        duals=duals,
        reduced_costs=reduced,
        keys=dict(compiled.keys),
    )


def compile_model(model: pyo.ConcreteModel) -> StandardForm:
    """The model's standard form; `NotSolved` when a constraint without variables fails."""
    try:
        return standard_form(model)
    except TriviallyInfeasible:
        raise NotSolved("infeasible: a hard limit cannot be met by any plan") from None


def solve(
    model: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Solution:
    """Solve to optimality or raise `NotSolved` with the status (and conflict).

    `progress(stage, seconds)` hears of the hand-off before HiGHS starts, and of the
    solve when it ends.
    """
    started = time.perf_counter()
    return solve_compiled(compile_model(model), options, progress, started)


def solve_compiled(
    compiled: StandardForm,
    options: SolveOptions | None = None,
    progress: Callable[[str, float], None] | None = None,
    started: float | None = None,
    release: bool = False,
) -> Solution:
    """`solve` of a model already translated: the caller may drop the Pyomo model first
    (at 1M deliveries its objects are most of the memory). `started`: when translation
    began, for the hand-off time; `release`: free `compiled`'s arrays once HiGHS has
    them (only its layout is used afterwards)."""
    options = options or SolveOptions()
    report = progress or (lambda stage, seconds: None)
    handed = time.perf_counter()
    started = handed if started is None else started
    highs = _highs(compiled, options)
    if release:
        compiled.release_arrays()
    passed = time.perf_counter()
    report("hand-off", passed - started)
    _run(highs, int(options.threads or 0))
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
    solution = _by_component(compiled, highs.getSolution())
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
