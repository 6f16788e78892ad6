"""Trade-measure families: licence cover and country share (SPEC §2, constraints 6 and 7)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from models.data import ModelData
from models.grouping import group_positions


def add_licence_cover(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_{licensed o} (1 − p[o,s])·x[o,s,t] ≤ I[p,t−1] + q[p,t], with the cover gap q ≥ 0.

    Stock at the start of a period must cover the licensed volume expected to be
    denied in it. Rows exist only where some delivery has a denial share > 0.
    """
    licensed = np.flatnonzero(data.denial_share > 0)
    groups = group_positions(data.point[licensed] * data.periods + data.period[licensed])
    keys = sorted(groups)
    model.COVER_ROWS = pyo.Set(
        initialize=[(key // data.periods, key % data.periods) for key in keys], dimen=2
    )
    model.cover_gap = pyo.Var(model.COVER_ROWS, domain=pyo.NonNegativeReals)

    def rule(m: pyo.ConcreteModel, p: int, t: int) -> object:
        members = licensed[groups[p * data.periods + t]].tolist()
        denied = sum(float(data.denial_share[i]) * m.buy[i] for i in members)
        opening = m.stock[p, t - 1] if t > 0 else float(data.initial_t[p])
        return denied - opening - m.cover_gap[p, t] <= 0

    model.con_cover = pyo.Constraint(model.COVER_ROWS, rule=rule)


def add_country_share(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Σ_{o∈O_m, c∈chain(o)} Σ_{s,t} x ≤ share_c · Σ_{o∈O_m} Σ_{s,t} x  per capped (m, c).

    Caps whose country touches no delivery of the material are skipped: their left
    side is empty and the row could never bind.
    """
    members = group_positions(data.share_cap)
    by_material = group_positions(data.material)
    model.SHARE_ROWS = pyo.Set(initialize=sorted(members), ordered=True)

    def rule(m: pyo.ConcreteModel, k: int) -> object:
        touching = sum(m.buy[i] for i in data.share_delivery[members[k]].tolist())
        material = by_material[int(data.share_material[k])].tolist()
        total = sum(m.buy[i] for i in material)
        return touching - float(data.share_limit[k]) * total <= 0

    model.con_share = pyo.Constraint(model.SHARE_ROWS, rule=rule)
