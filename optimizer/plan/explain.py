"""Why a scenario has no plan, in business terms (site, material, period, tonnes).

Without storage limits the model always has a plan (shortfall is priced, not forbidden).
With them, receipts that cannot be avoided (opening stock and pipeline orders) can
overflow storage. HiGHS's irreducible infeasible subsystem names the conflicting rows;
the numbers come from the stock arithmetic of each stock point involved.
"""

from __future__ import annotations

import numpy as np

from models import components
from optimizer.domain.derive import Instance
from optimizer.solver.highs import ConflictRow


def _fmt(tonnes: float) -> str:
    return f"{tonnes:,.3f} t".replace(".000 t", " t")


def storage_overflows(instance: Instance, points: set[int] | None = None) -> list[str]:
    """Stock points whose unavoidable stock exceeds storage max, with the arithmetic.

    The least stock a plan can hold is the opening stock plus pipeline receipts minus
    demand, carried forward and never below zero (purchases and shortfall only add).
    """
    data, table, periods = instance.data, instance.points, instance.inputs.periods
    lines = []
    for point in range(data.points) if points is None else sorted(points):
        limit = data.max_t[point]
        if not np.isfinite(limit):
            continue
        least = data.initial_t[point]
        pipeline_sum = demand_sum = 0.0
        for t in range(data.periods):
            pipeline_sum += data.pipeline_t[point, t]
            demand_sum += data.demand_t[point, t]
            least = max(0.0, least + data.pipeline_t[point, t] - data.demand_t[point, t])
            if least > limit + 1e-9:
                lines.append(
                    f"{table.at[point, 'site']}, {table.at[point, 'material']}, "
                    f"{periods[t]}: opening stock {_fmt(data.initial_t[point])} + pipeline "
                    f"receipts {_fmt(pipeline_sum)} − demand {_fmt(demand_sum)} leave at least "
                    f"{_fmt(least)} in stock, above the storage max of {_fmt(limit)} "
                    "(Stock sheet, column max). Raise max, move or cut Pipeline orders, "
                    "or raise demand."
                )
                break
    return lines


def explain_conflict(instance: Instance, conflict: list[ConflictRow]) -> list[str]:
    """Business explanation of an infeasible scenario (IIS rows when HiGHS found them)."""
    points = {
        row.index[0]
        for row in conflict
        if row.component in (components.STORAGE, components.BALANCE)
        and isinstance(row.index, tuple)
    }
    lines = storage_overflows(instance, points or None)
    if not lines:
        lines = storage_overflows(instance)
    if not lines:
        named = ", ".join(f"{row.component}{row.index}" for row in conflict[:10])
        lines = [f"the hard limits conflict ({named or 'no conflict set available'})"]
    return lines
