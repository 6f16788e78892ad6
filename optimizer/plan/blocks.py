"""One scenario's plan out of the robust plan's solution (SPEC §6), as if solved alone.

The extensive form holds each scenario ω in a block of its own (`models.robust`), its
components named through `models.components.block_member`; the committed orders y and
SPEC §7's shared z live on the top of the model. ω's deliveries are its own x after the
commitment window and, before it, the share a_ω·y of each committed order that arrives.
"""

from __future__ import annotations

import numpy as np

from models import components
from models.robust import ScenarioData
from optimizer.solver.highs import Solution

SHARED = (components.ONBOARD,)
"""Components on the top of the model that every block sees as its own (SPEC §7's z)."""


def _own(found: dict, block: int) -> dict:
    """The entries of `found` that belong to block `block`, by their names in the block."""
    mine = {}
    for name, value in found.items():
        member = components.member_block(name)
        if member is not None and member[0] == block:
            mine[member[1]] = value
    return mine


def block_solution(solution: Solution, block: int, data: ScenarioData) -> Solution:
    """The values and duals of block `block`, with its committed deliveries a_ω·y."""
    values, keys = _own(solution.values, block), _own(solution.keys, block)
    own = data.commit < 0
    buy = np.zeros(data.data.deliveries)
    buy[own] = values.get(components.BUY, np.zeros(0))
    y = solution.values[components.COMMIT]
    buy[~own] = data.arrival[data.commit[~own]] * y[data.commit[~own]]
    values[components.BUY] = buy
    keys[components.BUY] = list(range(len(buy)))
    for name in SHARED:
        if name in solution.values:
            values[name], keys[name] = solution.values[name], solution.keys[name]
    return Solution(
        0.0, solution.seconds, values, _own(solution.duals, block), {}, keys,
        mip_gap=solution.mip_gap,
    )  # fmt: skip


def blocks_in_conflict(names: list[str]) -> list[int]:
    """The blocks whose rows are named in an infeasible subsystem (component names)."""
    found = {member[0] for name in names if (member := components.member_block(name))}
    return sorted(found)
