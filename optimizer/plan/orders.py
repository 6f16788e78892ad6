"""The purchase orders to place (SPEC v3 §4 `Orders`): one row per delivery, sorted by
the period in which it must be ordered (delivery period − lead time)."""

from __future__ import annotations

import pandas as pd

from optimizer.plan.tables import PlanTables

ORDER_COLUMNS = [
    "order_by", "supplier", "material", "chain", "site", "delivery_period", "quantity",
    "landed_cost", "total_cost", "licensed", "approval",
]  # fmt: skip


def periods_of(tables: PlanTables) -> list[str]:
    """The plan's periods in time order (the Stock sheet has every one of them)."""
    found = list(dict.fromkeys(tables.stock["period"].astype(str))) if len(tables.stock) else []
    return found or [tables.summary.periods.split(" … ")[0]]


def _chain(plan: pd.DataFrame) -> list[str]:
    """mined in → refined in → shipped from, each country once."""
    return [
        " → ".join(dict.fromkeys([mined, refined, country]))
        for mined, refined, country in zip(
            plan["mined_in"], plan["refined_in"], plan["country"], strict=True
        )
    ]


def orders(plan: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """The Plan sheet's deliveries as orders, earliest order-by period first."""
    if plan.empty:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    table = plan.assign(chain=_chain(plan), delivery_period=plan["period"])
    rank = {period: t for t, period in enumerate(periods)}
    table = table.assign(_k=table["order_by"].map(rank), _t=table["period"].map(rank))
    table = table.sort_values(["_k", "supplier", "material", "_t", "site"], kind="stable")
    return table[ORDER_COLUMNS].reset_index(drop=True)


def due_now(table: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """The orders to place in the first period: the ones to sign now."""
    return table[table["order_by"] == periods[0]].reset_index(drop=True)
