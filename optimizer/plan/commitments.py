"""The orders the robust plan places now (SPEC v3 §6): the purchase-order list a buyer signs.

One row per committed order y > 0, sorted by the period it must be placed in: who, what,
where from, for which site and delivery period, how many tonnes at what landed cost,
and what becomes of it in each scenario, in words ("arrives 2027-05 (2 months late)",
"denied"), led by the scenarios where it does not arrive in full and on time. With
many scenarios (licence draws) the per-scenario columns give way to a summary over them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan.values import NOISE

MANY = 12
"""From this many scenarios on, the Commit list summarises them instead of a column each."""
MONTH_DAYS = (28, 31)
"""A period of this many days is a month (the lateness says months, else periods)."""


def _unit(count: int, period_days: float) -> str:
    month = MONTH_DAYS[0] <= period_days <= MONTH_DAYS[1]
    word = "month" if month else "period"
    return f"{count} {word}{'s' if count != 1 else ''}"


def arrival_words(
    share: float,
    arrives: int,
    planned: int,
    periods: list[str],
    period_days: float,
    brief: bool = False,
) -> str:
    """What becomes of an order in one scenario: when it arrives, how late, how much
    (`brief`: the lateness and share only, as the Commit list's summary column says it)."""
    if share <= 0:
        if arrives >= len(periods):
            return (
                "after the horizon"
                if brief
                else ("arrives after the horizon (a licence review too long)")
            )
        return "denied" if brief else "denied (banned, or no capacity or lane in this scenario)"
    late = arrives - planned
    when = "on time"
    if late:
        when = f"{_unit(abs(late), period_days)} {'late' if late > 0 else 'early'}"
    if brief:
        return when if share >= 1 - NOISE else f"{when}, {share:.0%} of it"
    part = "" if share >= 1 - NOISE else f", {share:.0%} of it (the rest cannot be supplied)"
    return f"arrives {periods[arrives]} ({when}){part}"


EXCEPTIONS = "not_on_time_in"
"""The Commit column that sums up the per-scenario ones: the scenarios in which the order
does not arrive in full and on time, and what happens there."""
EVERYWHERE = "on time in every scenario"


def _exceptions(briefs: dict[str, list[str]]) -> list[str]:
    """Per order, the scenarios (`briefs`: name → brief words per order) in which it does
    not arrive in full and on time."""
    names, rows = list(briefs), zip(*briefs.values(), strict=True) if briefs else iter(())
    return [
        "; ".join(f"{n}: {text}" for n, text in zip(names, texts, strict=True)
                  if text != "on time") or EVERYWHERE
        for texts in rows
    ]  # fmt: skip


def commit_table(
    orders: pd.DataFrame,
    quantity: np.ndarray,
    scenarios: list[tuple[str, np.ndarray, np.ndarray]],
    periods: list[str],
    period_days: float,
) -> pd.DataFrame:
    """The committed orders with y > 0, sorted by order period: `orders` (the reference's
    committed deliveries), `quantity` y per order, and per scenario (name, shares a_ω,
    arrival periods t_ω)."""
    chosen = np.flatnonzero(quantity > NOISE)
    rows = orders.iloc[chosen]
    planned = rows["period"].to_numpy(np.int64)
    order_by = planned - rows["lead_periods"].to_numpy(np.int64)
    tonnes = quantity[chosen]
    table = pd.DataFrame(
        {
            "order_by": [periods[t] for t in order_by],
            "supplier": rows["supplier"].to_numpy(),
            "material": rows["material"].to_numpy(),
            "country": rows["country"].to_numpy(),
            "refined_in": rows["refined_in"].to_numpy(),
            "mined_in": rows["mined_in"].to_numpy(),
            "site": rows["site"].to_numpy(),
            "delivery_period": [periods[t] for t in planned],
            "quantity": tonnes,
            "landed_cost": rows["landed_per_t"].to_numpy(float),
            "total_cost": rows["landed_per_t"].to_numpy(float) * tonnes,
            "licensed": np.where(rows["licensed"].to_numpy(bool), "yes", "no"),
        }
    )
    if len(scenarios) < MANY:
        orders = list(zip(chosen.tolist(), planned.tolist(), strict=True))

        def words(shares: np.ndarray, arrives: np.ndarray, brief: bool) -> list[str]:
            return [
                arrival_words(float(shares[j]), int(arrives[j]), t, periods, period_days, brief)
                for j, t in orders
            ]

        table[EXCEPTIONS] = _exceptions({n: words(s, a, True) for n, s, a in scenarios})
        for name, shares, arrives in scenarios:
            table[f"{name}: what happens"] = words(shares, arrives, False)
    else:
        shares = np.array([s for _, s, _ in scenarios])[:, chosen]
        table["arrives in full (share of scenarios)"] = (shares >= 1 - NOISE).mean(axis=0)
        table["denied (share of scenarios)"] = (shares <= 0).mean(axis=0)
    order = np.lexsort((table["supplier"].to_numpy(), order_by))
    return table.iloc[order].reset_index(drop=True)
