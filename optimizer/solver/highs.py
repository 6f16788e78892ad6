"""HiGHS itself: a model's arrays handed over, a run that a signal can stop, the status
read, values and duals sliced back to the components they belong to.

A model reaches HiGHS as the arrays of its standard form (`standard_form`, each row
keeping its own bounds): no LP file, no per-variable solver plugin. `solver/kept.py`
holds a model in HiGHS across solves; these two modules are the only ones that know
HiGHS. Only a status with a plan produces a `Solution`; everything else raises
`NotSolved` (with the rows of an irreducible infeasible subsystem when HiGHS proves the
model infeasible). A model without a
single variable (nothing to buy: no demand, stock or pipeline) is HiGHS's `Empty`:
optimal, with the objective's constant as its value (SPEC §2: always feasible without
`max`).

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
from collections.abc import Iterator
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.problems import ReoptError
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm


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
    ranges: dict[str, np.ndarray] = field(default_factory=dict)
    """constraint component → (N, 2): how far each row's binding bound may move down and
    up with its dual unchanged (HiGHS ranging; NaN where unknown; when asked for)"""
    status: str = "optimal"
    """one of `options.PLAN_STATUSES`: `time limit` for an integer plan (SPEC §7)"""
    mip_gap: float | None = None
    """the relative gap HiGHS proved for an integer model; None for an LP"""


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


SKIPPED_HEURISTICS = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
)
"""Sub-MIP heuristics left out of branch and bound unless `SolveOptions.sub_mips`. On one
scenario's model the root's cuts already close the gap, and these heuristics are where
the time goes: RINS and RENS took 5 of the example's first 6 seconds, and the root
reduced-cost heuristic (a sub-MIP over the columns of small reduced cost) then half of
the rest (example base 1.32 s → 0.69 s, integer M 55.1 s → 18.5 s, each of the eight
scenarios 1.4–4× faster, the same optima; docs/performance.md). The robust plan's
extensive form is the other way round: its root finds no plan within 0.5 % of the
bound, and they find one (the example's: 30.6 s with them, 52.6 s without)."""
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


def checked(call: str, status: object) -> None:
    if status != highspy.HighsStatus.kOk:
        raise SolverError(call, status)


def _set(highs: highspy.Highs, name: str, value: object) -> None:
    checked(f"option {name}={value!r}", highs.setOptionValue(name, value))


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
    outcome: list[highspy.HighsStatus | BaseException] = []
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
    found = outcome[0]
    if isinstance(found, BaseException):
        raise found
    return found


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


def _outcome(highs: highspy.Highs) -> highspy.HighsStatus | BaseException:
    """What `highs.run()` returned, or the exception it raised."""
    try:
        return highs.run()
    except BaseException as error:  # handed back to the waiting thread, raised there
        return error


def run(highs: highspy.Highs, threads: int) -> None:
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


def handed_to_highs(compiled: StandardForm, options: SolveOptions) -> highspy.Highs:
    highs = new_highs()
    if options.time_limit is not None:
        _set(highs, "time_limit", float(options.time_limit))
    _set(highs, "threads", int(options.threads or 0))
    _set(highs, "solver", options.method)
    if options.mip_gap is not None:
        _set(highs, "mip_rel_gap", float(options.mip_gap))
    if compiled.is_mip and not options.sub_mips:
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
    checked("the model", highs.passModel(lp))
    return highs


def conflict_rows(highs: highspy.Highs, compiled: StandardForm) -> list[ConflictRow]:
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


def unpack(compiled: StandardForm, result: object) -> Solution:
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


def row_ranging(compiled: StandardForm, highs: highspy.Highs) -> dict:
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


def has_plan(
    highs: highspy.Highs, compiled: StandardForm, status: highspy.HighsModelStatus
) -> bool:
    """Optimal (an empty model too: `standard_form` has checked its constant rows), or
    (an integer model only) stopped by the time limit with an integer-feasible solution:
    that plan is written with its gap (SPEC §7)."""
    if status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty):
        return True
    return (
        compiled.is_mip
        and status == highspy.HighsModelStatus.kTimeLimit
        and highs.getInfo().primal_solution_status == FEASIBLE
    )


def status_text(highs: highspy.Highs, status: highspy.HighsModelStatus) -> str:
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
