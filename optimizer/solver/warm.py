"""A HiGHS model kept between solves: change bounds, costs and coefficients, re-solve warm.

Many variants of one workbook (the samples of a licence sweep) share one structure. The
structure is passed to HiGHS once; each variant then changes only what differs from the
model HiGHS holds (`changeColsCost`, `changeColsBounds`, `changeRowsBounds`,
`changeCoeff`) and HiGHS re-solves from the basis of the previous optimum. Only the
entries that differ are sent, so a variant close to the last one costs a few calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.solver.highs import _checked, _highs, _run, _status_text
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm


@dataclass(frozen=True)
class WarmResult:
    """What one re-solve produced: HiGHS's status and, when optimal, its arrays."""

    optimal: bool
    status: str
    objective: float
    col_value: np.ndarray
    col_dual: np.ndarray
    row_dual: np.ndarray
    seconds: float


def _changed(now: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Positions where `new` differs from `now` (infinities compare equal)."""
    return np.flatnonzero(~((now == new) | (np.isnan(now) & np.isnan(new))))


class KeptModel:
    """One LP held by HiGHS, changed in place between solves.

    `entries` are the (row, column) positions of the matrix whose values may change; the
    others are fixed by the structure.
    """

    def __init__(
        self,
        compiled: StandardForm,
        options: SolveOptions,
        entries: tuple[np.ndarray, np.ndarray],
    ) -> None:
        self.threads = int(options.threads or 0)
        self.highs = _highs(compiled, options)
        self.cost = compiled.cost.copy()
        self.col_lower = compiled.col_lower.copy()
        self.col_upper = compiled.col_upper.copy()
        self.row_lower = compiled.row_lower.copy()
        self.row_upper = compiled.row_upper.copy()
        self.entry_rows, self.entry_cols = entries
        stored = compiled.matrix.positions(*entries)  # −1 (not stored) picks the 0 appended
        self.entry_values = np.r_[compiled.matrix.data, 0.0][stored]

    def change(
        self,
        cost: np.ndarray,
        col_bounds: tuple[np.ndarray, np.ndarray],
        row_bounds: tuple[np.ndarray, np.ndarray],
        entry_values: np.ndarray,
    ) -> None:
        """Make the kept model the one with these arrays (every column, row and entry)."""
        highs = self.highs
        changed = _changed(self.cost, cost)
        if len(changed):
            _checked("changeColsCost", highs.changeColsCost(len(changed), changed, cost[changed]))
            self.cost[changed] = cost[changed]
        self._bounds("changeColsBounds", self.col_lower, self.col_upper, col_bounds)
        self._bounds("changeRowsBounds", self.row_lower, self.row_upper, row_bounds)
        for entry in _changed(self.entry_values, entry_values).tolist():
            value = float(entry_values[entry])
            row, col = int(self.entry_rows[entry]), int(self.entry_cols[entry])
            _checked("changeCoeff", highs.changeCoeff(row, col, value))
            self.entry_values[entry] = value

    def _bounds(
        self,
        call: str,
        lower_now: np.ndarray,
        upper_now: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """Send the column or row bounds that differ through `call`; keep them as sent."""
        lower, upper = bounds
        changed = np.union1d(_changed(lower_now, lower), _changed(upper_now, upper))
        if len(changed):
            method = getattr(self.highs, call)
            _checked(call, method(len(changed), changed, lower[changed], upper[changed]))
            lower_now[changed], upper_now[changed] = lower[changed], upper[changed]

    def solve(self) -> WarmResult:
        """Re-solve from the last basis; the arrays are read only when HiGHS proves optimality."""
        started = time.perf_counter()
        _run(self.highs, self.threads)
        seconds = time.perf_counter() - started
        status = self.highs.getModelStatus()
        empty = np.zeros(0)
        if status != highspy.HighsModelStatus.kOptimal:
            text = _status_text(self.highs, status)
            return WarmResult(False, text, np.nan, empty, empty, empty, seconds)
        solution = self.highs.getSolution()
        return WarmResult(
            True,
            "optimal",
            self.highs.getInfo().objective_function_value,
            np.asarray(solution.col_value),
            np.asarray(solution.col_dual),
            np.asarray(solution.row_dual),
            seconds,
        )
