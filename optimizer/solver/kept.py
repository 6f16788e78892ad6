"""A model kept by HiGHS across solves: changed in place, re-solved from where it was.

Every solve of reopt goes through one `KeptModel`: the first solve of a scenario, the
savings re-solves of its review, the eev plan of the robust plan, the samples of a
licence sweep and each draw's own optimum. A variant arrives as a `models.changes.Change`
(costs, column bounds, row bounds and coefficients by component name and key); the kept
model sets exactly that on top of the model it was built from, and sends HiGHS only
what differs from what HiGHS holds (`changeColsCost`, `changeColsBounds`,
`changeRowsBounds`, `changeCoeff`). So a change never accumulates: each solve is of the
built model with that change alone, and an empty change restores it. An LP re-solves
from the basis of the previous solve; an integer model keeps its structure (no new
build, no new hand-off) and runs branch and bound again.

An integer plan's marginal values are those of the LP with every binary fixed at the
plan's values (SPEC §7): `solve(..., marginals=True)` solves that LP as a second kept
model, which the savings re-solves then change.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import highspy
import numpy as np

from models.changes import Change
from optimizer.solver.highs import (
    NotSolved,
    Solution,
    SolverError,
    checked,
    conflict_rows,
    handed_to_highs,
    has_plan,
    row_ranging,
    run,
    status_text,
    unpack,
)
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm

Progress = Callable[[str, float], None] | None


def _differs(now: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Positions where `new` differs from `now` (infinities compare equal)."""
    if now is new:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~((now == new) | (np.isnan(now) & np.isnan(new))))


@dataclasses.dataclass
class _Arrays:
    """Costs and bounds as HiGHS holds them: the built model's own arrays, each copied
    only when a change writes into it (at 1M deliveries each copy is 8–9 MB, and a
    review's re-solve changes one or two of the five)."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    copied: set[str] = dataclasses.field(default_factory=set)

    @classmethod
    def of(cls, compiled: StandardForm) -> _Arrays:
        """The built model's arrays, shared (never written through this object)."""
        return cls(compiled.cost, compiled.col_lower, compiled.col_upper,
                   compiled.row_lower, compiled.row_upper)  # fmt: skip

    def writable(self, name: str) -> np.ndarray:
        """The array `name` to write a change into, copied from the built one first."""
        if name not in self.copied:
            setattr(self, name, getattr(self, name).copy())
            self.copied.add(name)
        return getattr(self, name)


class KeptModel:
    """One model (LP or MIP) held by HiGHS, solved with a change at a time."""

    def __init__(self, compiled: StandardForm, options: SolveOptions) -> None:
        self.compiled, self.options = compiled, options
        self.threads = int(options.threads or 0)
        self.highs = handed_to_highs(compiled, options)
        self._held: _Arrays | None = None
        """the arrays as HiGHS holds them, once a change made them differ from `compiled`"""
        self._entries: dict[tuple[int, int], float] = {}
        """matrix entries that HiGHS holds with a value other than the built one"""
        self._built: dict[tuple[int, int], float] = {}
        self._index: dict[str, dict] = {}
        self.fixed: KeptModel | None = None
        """the LP of the last integer plan with its binaries fixed (marginal values)"""

    @property
    def is_mip(self) -> bool:
        """Whether the model has integer variables (SPEC §7)."""
        return self.compiled.is_mip

    @property
    def keys(self) -> dict[str, list]:
        """Each component's index keys, in order."""
        return self.compiled.keys

    def _positions(self, name: str, keys: list, offset: int) -> np.ndarray:
        """Solver indices of a component's members, by key."""
        where = self._index.get(name)
        if where is None:
            where = self._index[name] = {key: i for i, key in enumerate(self.compiled.keys[name])}
        return offset + np.fromiter((where[key] for key in keys), dtype=np.int64, count=len(keys))

    def _columns(self, name: str, keys: list) -> np.ndarray:
        return self._positions(name, keys, self.compiled.columns[name][0])

    def _rows(self, name: str, keys: list) -> np.ndarray:
        return self.compiled.row_of[name][self._positions(name, keys, 0)]

    def _wanted(self, change: Change) -> tuple[_Arrays, dict[tuple[int, int], float]]:
        """The arrays and changed entries of the built model with `change` set on it."""
        wanted = _Arrays.of(self.compiled)
        for name, (keys, values) in change.costs.items():
            wanted.writable("cost")[self._columns(name, keys)] = values
        for name, (keys, lower, upper) in change.bounds.items():
            columns = self._columns(name, keys)
            wanted.writable("col_lower")[columns] = lower
            wanted.writable("col_upper")[columns] = upper
        for name, (keys, lower, upper) in change.rows.items():
            rows = self._rows(name, keys)
            wanted.writable("row_lower")[rows] = lower
            wanted.writable("row_upper")[rows] = upper
        entries: dict[tuple[int, int], float] = {}
        for (row, variable), (row_keys, keys, values) in change.entries.items():
            rows, columns = self._rows(row, row_keys), self._columns(variable, keys)
            entries.update(
                zip(zip(rows.tolist(), columns.tolist(), strict=True), values, strict=True)
            )
        return wanted, entries

    def _set(self, change: Change) -> None:
        """Make HiGHS hold the built model with `change` on it, sending what differs."""
        if self.compiled.released:
            raise SolverError("a change to a released model", "its arrays were freed")
        wanted, entries = self._wanted(change)
        held = self._held or _Arrays.of(self.compiled)
        highs = self.highs
        moved = _differs(held.cost, wanted.cost)
        if len(moved):
            checked("changeColsCost", highs.changeColsCost(len(moved), moved, wanted.cost[moved]))
        for call, side in (("changeColsBounds", "col"), ("changeRowsBounds", "row")):
            low, up = getattr(held, f"{side}_lower"), getattr(held, f"{side}_upper")
            new_low, new_up = getattr(wanted, f"{side}_lower"), getattr(wanted, f"{side}_upper")
            moved = np.union1d(_differs(low, new_low), _differs(up, new_up))
            if len(moved):
                method = getattr(highs, call)
                checked(call, method(len(moved), moved, new_low[moved], new_up[moved]))
        self._set_entries(entries)
        self._held = wanted

    def _set_entries(self, entries: dict[tuple[int, int], float]) -> None:
        """Send the matrix entries that differ from what HiGHS holds (reverting the others
        a previous change set)."""
        for place in entries:
            if place not in self._built:
                self._built[place] = self._built_entry(place)
        wanted = {place: self._built[place] for place in self._entries}
        wanted.update(entries)
        for (row, column), value in wanted.items():
            if self._entries.get((row, column), self._built[(row, column)]) != value:
                checked("changeCoeff", self.highs.changeCoeff(row, column, float(value)))
        self._entries = {p: v for p, v in wanted.items() if v != self._built[p]}

    def _built_entry(self, place: tuple[int, int]) -> float:
        """The value the built matrix has at (row, column); 0 where none is stored."""
        row, column = place
        if self.compiled.matrix_released:  # HiGHS holds the built entry: never changed yet
            status, rows, values = self.highs.getColEntries(column)
            checked("getColEntries", status)
            hit = np.flatnonzero(rows == row)
            return float(values[hit[0]]) if len(hit) else 0.0
        found = self.compiled.matrix.positions(np.array([row]), np.array([column]))[0]
        return float(self.compiled.matrix.data[found]) if found >= 0 else 0.0

    def solve(
        self,
        change: Change | None = None,
        marginals: bool = False,
        ranging: bool = False,
        progress: Progress = None,
    ) -> Solution:
        """Solve the built model with `change` set (none: as built); `NotSolved` without a
        plan. `marginals`: duals and reduced costs too (an integer plan's from the LP with
        its binaries fixed, kept as `fixed`); `ranging`: HiGHS's row ranging as well."""
        report = progress or (lambda stage, seconds: None)
        status, setting, solving = self._run(change)
        solved = time.perf_counter()
        report("solve", solving)
        timings = {"change": setting, "solve": solving}
        source = self
        if self.is_mip and marginals:
            source = self._fixed_lp(np.asarray(self.highs.getSolution().col_value))
            timings["marginals"] = time.perf_counter() - solved
            report("marginals", timings["marginals"])
        solution = self._unpacked(source, timings, ranging, report)
        solution.seconds = solving
        if self.is_mip:
            solution.mip_gap = float(self.highs.getInfo().mip_gap)
            if status == highspy.HighsModelStatus.kTimeLimit:
                solution.status = "time limit"
        return solution

    def optimum(self, change: Change) -> float:
        """The optimal objective of the built model with `change` set, and nothing else
        read back (the review's savings: at 1M deliveries a full solution is 130 MB of
        Python floats per re-solve); `NotSolved` without a plan."""
        self._run(change)
        return self._objective()

    def _objective(self) -> float:
        """The solved model's objective (its constant when it has no variable)."""
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kModelEmpty:
            return self.compiled.offset
        return float(self.highs.getInfo().objective_function_value)

    def _run(self, change: Change | None) -> tuple[highspy.HighsModelStatus, float, float]:
        """Set `change` (none: as built) and solve: the status of a plan and the seconds
        setting the change and solving took; `NotSolved` without a plan."""
        started = time.perf_counter()
        if change is not None or self._held is not None or self._entries:
            self._set(change or Change())
        changed = time.perf_counter()
        run(self.highs, self.threads)
        solved = time.perf_counter()
        status = self.highs.getModelStatus()
        if not has_plan(self.highs, self.compiled, status):
            conflict = []
            if status in (
                highspy.HighsModelStatus.kInfeasible,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            ):
                conflict = conflict_rows(self.highs, self.compiled)
            raise NotSolved(status_text(self.highs, status), conflict)
        return status, changed - started, solved - changed

    def _unpacked(self, source: KeptModel, timings: dict, ranging: bool, report) -> Solution:
        """The solution `source` holds, by component (with ranging when asked for)."""
        unpacking = time.perf_counter()
        solution = unpack(source.compiled, source.highs.getSolution())
        solution.objective = source._objective()
        timings["unpack"] = time.perf_counter() - unpacking
        if ranging:
            ranged = time.perf_counter()
            solution.ranges = row_ranging(source.compiled, source.highs)
            timings["ranging"] = time.perf_counter() - ranged
            report("ranging", timings["ranging"])
        solution.timings = timings
        return solution

    def _fixed_lp(self, values: np.ndarray) -> KeptModel:
        """The LP with every binary fixed at its value in `values`, solved: the marginal
        values of an integer plan (SPEC §7), and its continuous values re-optimised for
        those binaries (never worse than the integer solution's)."""
        compiled = self.compiled
        fixed = np.round(values[compiled.integer])
        lower, upper = compiled.col_lower.copy(), compiled.col_upper.copy()
        lower[compiled.integer] = fixed
        upper[compiled.integer] = fixed
        lp = dataclasses.replace(
            compiled, col_lower=lower, col_upper=upper, integer=np.zeros_like(compiled.integer)
        )
        self.fixed = KeptModel(lp, dataclasses.replace(self.options, time_limit=None))
        run(self.fixed.highs, self.threads)
        status = self.fixed.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            text = self.fixed.highs.modelStatusToString(status)
            raise SolverError("the LP with the binaries fixed", text)
        return self.fixed

    @property
    def marginal(self) -> KeptModel:
        """The kept model whose solution gives the marginal values: the fixed-binary LP of
        an integer plan, else this one."""
        return self.fixed if self.fixed is not None else self
