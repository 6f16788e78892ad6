"""Hand a Pyomo model to HiGHS and bring back values, duals and status.

The model is translated by `handoff.standard_form` (each row keeps its own bounds) and
passed to `highspy` as arrays: no LP file, no per-variable solver plugin. This is the
only module that knows HiGHS.

The termination status is checked before any value is read: only `optimal` produces
a `Solution`; everything else raises `NoPlanError` (with the rows of an irreducible
infeasible subsystem when HiGHS proves the model infeasible). A model without a single
variable (nothing to buy: no demand, stock or pipeline) is HiGHS's `Empty`: optimal,
with the objective's constant as its value (SPEC §2: always feasible without `max`).

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
import dataclasses
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
    warm: WarmModel | None = None
    """the solved HiGHS model, kept for re-solves when `solve(..., keep=True)`"""
    ranges: dict[str, np.ndarray] = field(default_factory=dict)
    """constraint component → (N, 2): how far each row's binding bound may move down and
    up with its dual unchanged (HiGHS ranging; NaN where unknown; with `keep=True`)"""
    status: str = "optimal"
    """one of `options.PLAN_STATUSES`: `time limit` for an integer plan (SPEC §7)"""
    mip_gap: float | None = None
    """the relative gap HiGHS proved for an integer model; None for an LP"""


@dataclass(frozen=True)
class RowChange:
    """A change to one constraint row: its bounds shifted, and a constant added to the
    coefficients of some columns of a variable component (a share cap's new share)."""

    component: str
    position: int
    """the row's position among the component's keys"""
    lower: float = 0.0
    upper: float = 0.0
    variable: str = ""
    members: tuple[int, ...] = ()
    """positions within `variable` whose coefficient in this row changes by `coefficient`"""
    coefficient: float = 0.0


class WarmModel:
    """A solved HiGHS model that re-solves with some rows changed, from its last basis.

    Each re-solve applies the changes, runs HiGHS, and undoes them, so every answer is
    the optimum of the original model with only those changes.
    """

    def __init__(self, highs: highspy.Highs, compiled: StandardForm, threads: int) -> None:
        self.highs, self.compiled, self.threads = highs, compiled, threads

    def _coefficients(self, change: RowChange, row: int) -> list[tuple[int, float, float]]:
        """(column, old, new) of the changed coefficients of `row`."""
        if not change.members:
            return []
        matrix = self.compiled.matrix
        start = self.compiled.columns[change.variable][0]
        columns = start + np.asarray(change.members, dtype=np.int64)
        found = matrix.positions(np.full(len(columns), row), columns)
        old = np.where(found >= 0, matrix.data[np.maximum(found, 0)], 0.0)
        return [
            (int(col), float(value), float(value) + change.coefficient)
            for col, value in zip(columns, old, strict=True)
        ]

    def objective_with(self, changes: list[RowChange]) -> float | None:
        """The optimal objective with `changes` applied (None when HiGHS finds no optimum)."""
        compiled, highs = self.compiled, self.highs
        undo: list[tuple[int, float, float, list[tuple[int, float, float]]]] = []
        for change in changes:
            row = int(compiled.row_of[change.component][change.position])
            if row < 0:
                continue
            lower, upper = float(compiled.row_lower[row]), float(compiled.row_upper[row])
            entries = self._coefficients(change, row)
            _checked(
                "a row's bounds",
                highs.changeRowBounds(row, lower + change.lower, upper + change.upper),
            )
            for col, _, new in entries:
                _checked("a coefficient", highs.changeCoeff(row, col, new))
            undo.append((row, lower, upper, entries))
        try:
            return self._optimum()
        finally:
            for row, lower, upper, entries in reversed(undo):
                _checked("a row's bounds", highs.changeRowBounds(row, lower, upper))
                for col, old, _ in entries:
                    _checked("a coefficient", highs.changeCoeff(row, col, old))

    def objective_with_columns(self, columns: np.ndarray, values: np.ndarray) -> float | None:
        """The optimal objective with `columns` fixed at `values` (None when HiGHS finds no
        optimum); their bounds are restored afterwards."""
        highs, count = self.highs, len(columns)
        columns = np.asarray(columns, dtype=np.int32)
        status, _, _, lower, upper, _ = highs.getCols(count, columns)
        _checked("the columns' bounds", status)
        fixed = np.asarray(values, dtype=float)
        _checked("the columns' bounds", highs.changeColsBounds(count, columns, fixed, fixed))
        try:
            return self._optimum()
        finally:
            _checked("the columns' bounds", highs.changeColsBounds(count, columns, lower, upper))

    def _optimum(self) -> float | None:
        """Re-solve from the last basis; the objective when HiGHS proves it optimal."""
        _run(self.highs, self.threads)
        optimal = self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return float(self.highs.getInfo().objective_function_value) if optimal else None


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


SKIPPED_HEURISTICS = ("mip_heuristic_run_rins", "mip_heuristic_run_rens")
"""Sub-MIP heuristics left out of branch and bound: on the example they took 5 of its 6
seconds (the root already held the optimum), and the integer M benchmark solves faster
without them (docs/performance.md)."""
PRESOLVE_COLUMNS = 100_000
"""LPs from this many columns on are solved without HiGHS's presolve (integer models
keep it). On these models it removes almost nothing (the simplex iterations barely
change), yet at 1M deliveries it took 8 % of the solve and doubled HiGHS's memory (+885
MiB against +460 MiB; docs/performance.md). Smaller LPs keep it: there it costs
nothing, and its postsolve is what prices degenerate rows (a capacity fixed at 0 t by an
integer plan's binaries) the way the review sheets explain them."""
FEASIBLE = 2
"""HiGHS's `primal_solution_status` of a feasible solution (kSolutionStatusFeasible)."""


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


def _interruptible(highs: highspy.Highs) -> highspy.HighsStatus:
    """`highs.run()`, stopped at once by Ctrl-C or SIGTERM when called in the main thread.

    Python handles a signal only between bytecodes, so a solve run directly in the main
    thread would keep a scheduler's SIGTERM waiting until HiGHS ends (minutes for a large
    integer model). The solve runs in a helper thread instead and the main thread waits
    for an event the helper sets when HiGHS has returned. When the signal's exception
    arrives, the main thread cancels HiGHS and waits for it before re-raising, so HiGHS
    never runs on while the interpreter shuts down.

    The wait is on an event, not on `Thread.join`: a join interrupted by a signal marks
    the thread stopped although it still runs (CPython up to 3.12, the fix for bpo-45274
    releases the running thread's lock), and a second join then returns at once.
    """
    if threading.current_thread() is not threading.main_thread():
        return highs.run()
    outcome: list[object] = []
    returned = threading.Event()

    def solve() -> None:
        try:
            outcome.append(_outcome(highs))
        finally:
            returned.set()

    threading.Thread(target=solve, daemon=True).start()
    try:
        returned.wait()
    except BaseException:
        _cancel(highs, returned)
        raise
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]  # type: ignore[return-value]


def _cancel(highs: highspy.Highs, returned: threading.Event) -> None:
    """Stops the running solve and waits until HiGHS has returned.

    The interrupt callbacks are turned on only now: left on, they cost about 5 % of a
    solve (robust extensive form 1.55 s against 1.48 s, M 0.49 s against 0.48 s, three
    runs each); HiGHS checks them within milliseconds. A further signal during that wait is dropped:
    the first one is already on its way up, and leaving HiGHS running would crash the
    interpreter's shutdown.
    """
    highs.HandleUserInterrupt = True
    highs.cancelSolve()
    while not returned.is_set():
        with contextlib.suppress(BaseException):
            returned.wait()
    highs.HandleUserInterrupt = False  # a callback left registered aborts at exit


def _outcome(highs: highspy.Highs) -> object:
    """What `highs.run()` returned, or the exception it raised."""
    try:
        return highs.run()
    except BaseException as error:  # handed back to the waiting thread, raised there
        return error


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
        status = _interruptible(highs)
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
    if options.mip_gap is not None:
        _set(highs, "mip_rel_gap", float(options.mip_gap))
    if compiled.is_mip:
        for heuristic in SKIPPED_HEURISTICS:
            _set(highs, heuristic, False)
    elif len(compiled.cost) >= PRESOLVE_COLUMNS:
        _set(highs, "presolve", "off")
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
    if compiled.is_mip:
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[flag] for flag in compiled.integer.tolist()]
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
    keep: bool = False,
    ranging: bool = True,
) -> Solution:
    """Solve to optimality or raise `NotSolved` with the status (and conflict).

    `progress(stage, seconds)` hears of the hand-off before HiGHS starts, and of the
    solve when it ends. `keep` keeps the solved model in `Solution.warm` for re-solves
    (with HiGHS's row ranging in `Solution.ranges` unless `ranging` is False).
    """
    started = time.perf_counter()
    compiled = compile_model(model)
    return solve_compiled(compiled, options, progress, started, keep=keep, ranging=ranging)


def solve_compiled(
    compiled: StandardForm,
    options: SolveOptions | None = None,
    progress: Callable[[str, float], None] | None = None,
    started: float | None = None,
    release: bool = False,
    keep: bool = False,
    ranging: bool = True,
) -> Solution:
    """`solve` of a model already translated: the caller may drop the Pyomo model first
    (at 1M deliveries its objects are most of the memory). `started`: when translation
    began, for the hand-off time; `release`: free `compiled`'s arrays once HiGHS has
    them, unless they are still needed (an integer model's fixed-binary LP, or `keep`:
    the solved model kept for re-solves, with its row ranging)."""
    options = options or SolveOptions()
    report = progress or (lambda stage, seconds: None)
    handed = time.perf_counter()
    started = handed if started is None else started
    highs = _highs(compiled, options)
    if release and not keep and not compiled.is_mip:
        compiled.release_arrays()
    passed = time.perf_counter()
    report("hand-off", passed - started)
    _run(highs, int(options.threads or 0))
    solved = time.perf_counter()
    report("solve", solved - passed)
    status = highs.getModelStatus()
    if not _has_plan(highs, compiled, status):
        conflict = []
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            conflict = _conflict(highs, compiled)
        raise NotSolved(_status_text(highs, status), conflict)
    gap = float(highs.getInfo().mip_gap)
    timings = {"compile": handed - started, "pass": passed - handed, "solve": solved - passed}
    if compiled.is_mip:
        highs = _fixed_lp(compiled, np.asarray(highs.getSolution().col_value), options)
        timings["marginals"] = time.perf_counter() - solved
        report("marginals", timings["marginals"])
    unpacking = time.perf_counter()
    solution = _by_component(compiled, highs.getSolution())
    solution.objective = (
        compiled.offset
        if status == highspy.HighsModelStatus.kModelEmpty
        else highs.getInfo().objective_function_value
    )
    solution.seconds = solved - passed
    timings["unpack"] = time.perf_counter() - unpacking
    if compiled.is_mip:
        solution.mip_gap = gap
        if status == highspy.HighsModelStatus.kTimeLimit:
            solution.status = "time limit"
    if keep:
        solution.warm = WarmModel(highs, compiled, int(options.threads or 0))
        if ranging:
            ranged = time.perf_counter()
            solution.ranges = _ranges(compiled, highs)
            timings["ranging"] = time.perf_counter() - ranged
            report("ranging", timings["ranging"])
    solution.timings = timings
    return solution


def _ranges(compiled: StandardForm, highs: highspy.Highs) -> dict:
    """Per constraint component and row: (down, up), how far its binding bound can move
    before the basis, and so the dual, changes. Empty when HiGHS has no ranging."""
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return {}
    bound = np.where(np.isfinite(compiled.row_upper), compiled.row_upper, compiled.row_lower)
    low = np.where(np.isfinite(compiled.row_lower), compiled.row_lower, compiled.row_upper)
    down = np.asarray(ranging.row_bound_dn.value_) - low
    up = np.asarray(ranging.row_bound_up.value_) - bound
    ranges = {}
    for name, rows in compiled.row_of.items():
        both = np.full((len(rows), 2), np.nan)
        kept = rows >= 0
        both[kept, 0], both[kept, 1] = down[rows[kept]], up[rows[kept]]
        ranges[name] = both
    return ranges


def _has_plan(
    highs: highspy.Highs, compiled: StandardForm, status: highspy.HighsModelStatus
) -> bool:
    """Optimal (an empty model too: `compile_model` has checked its constant rows), or
    (an integer model only) stopped by the time limit with an integer-feasible solution:
    that plan is written with its gap (SPEC §7)."""
    if status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty):
        return True
    return (
        compiled.is_mip
        and status == highspy.HighsModelStatus.kTimeLimit
        and highs.getInfo().primal_solution_status == FEASIBLE
    )


def _fixed_lp(compiled: StandardForm, values: np.ndarray, options: SolveOptions) -> highspy.Highs:
    """The LP with every binary fixed at its value in `values`, solved: the marginal
    values of an integer plan (SPEC §7), and its continuous values re-optimised for
    those binaries (never worse than the integer solution's)."""
    fixed = np.round(values[compiled.integer])
    lower, upper = compiled.col_lower.copy(), compiled.col_upper.copy()
    lower[compiled.integer] = fixed
    upper[compiled.integer] = fixed
    lp = dataclasses.replace(
        compiled, col_lower=lower, col_upper=upper, integer=np.zeros_like(compiled.integer)
    )
    highs = _highs(lp, dataclasses.replace(options, time_limit=None))
    _run(highs, int(options.threads or 0))
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError("the LP with the binaries fixed", highs.modelStatusToString(status))
    return highs


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
