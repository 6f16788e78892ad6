"""SPEC §7 checked two ways on the independent build of `tests/reference_lp.py`.

The §2 + §7 model of a workbook (base scenario) is the one `reference_lp.build` writes
from the SPEC's text, with openpyxl and scipy only (never `models/` or `optimizer/`):
`solve` is its optimum by scipy's milp at gap 0, `brute_force` the least over every
assignment of the binaries of the LP with them fixed. §7 is taken literally there: z[o]
for every offer with fixed_cost > 0 or of a material with max_suppliers (whether or not
it can deliver), w[o,t] for every period with a delivery variable and min_order > 0, and
both capacity rows Σ x ≤ cap·z and Σ x ≤ cap·w when an offer has both binaries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.reference_lp import LP, build, read_book, resolve


@dataclass(frozen=True)
class Reference:
    """The §2 + §7 model of one workbook (base scenario) and its objective."""

    lp: LP
    cost: dict[int, float]

    @property
    def integer(self) -> np.ndarray:
        """1 for each binary column, 0 for the others."""
        return np.array(self.lp.binary, dtype=int)

    def solve(self, fixed: dict[int, float] | None = None) -> float | None:
        """The optimum (None when infeasible), with some integer columns fixed."""
        values = self.lp.solve(self.cost, fixed)
        if values is None:
            return None
        return float(sum(coef * values[column] for column, coef in self.cost.items()))

    def brute_force(self) -> float | None:
        """min over every assignment of the binaries of the LP with them fixed."""
        binaries = np.flatnonzero(self.integer).tolist()
        values = [
            self.solve(dict(zip(binaries, choice, strict=True)))
            for choice in itertools.product((0.0, 1.0), repeat=len(binaries))
        ]
        feasible = [value for value in values if value is not None]
        return min(feasible) if feasible else None


def build_reference(path: Path) -> Reference:
    """The §2 + §7 model of the workbook at `path`, base scenario."""
    lp, block = build(resolve(read_book(path), "base"))
    return Reference(lp, block.objective())
