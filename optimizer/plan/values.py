"""Reading a solution: the solver-noise tolerance and (point, period) grids."""

from __future__ import annotations

import numpy as np

from optimizer.solver.highs import Solution

NOISE = 1e-7
"""Tonnes, duals and money below this are solver noise."""


def grid(solution: Solution, name: str, shape: tuple[int, int], duals: bool = False) -> np.ndarray:
    """A component keyed (point, period), or (point,) for the last period, as a (P, T)
    matrix of its values (or row duals), 0 where absent."""
    result = np.zeros(shape)
    keys = solution.keys.get(name, [])
    if not len(keys):
        return result
    index = np.asarray(
        [key if isinstance(key, tuple) else (key, shape[1] - 1) for key in keys], dtype=np.int64
    )
    result[index[:, 0], index[:, 1]] = (solution.duals if duals else solution.values)[name]
    return result
