"""Prices: an offer's price for deliveries in one period (SPEC §1, price schedules)."""

from __future__ import annotations

import pandas as pd

from optimizer.domain.names import Names, canonical
from optimizer.problems import Problems
from optimizer.workbook.rules.common import Periods, first_time, frame, ref
from optimizer.workbook.tables import Table

PRICE_COLUMNS = ["offer", "period", "unit_cost", "row"]


def prices_from(
    table: Table,
    offers: pd.DataFrame,
    suppliers: Names,
    materials: Names,
    periods: Periods,
    problems: Problems,
) -> pd.DataFrame:
    """One row per (offer, period) price; the offer must exist and a (supplier, material,
    period) may be given once."""
    position = {
        (canonical(s), canonical(m)): i
        for i, (s, m) in enumerate(zip(offers["supplier"], offers["material"], strict=True))
    }
    records, seen = [], {}
    for row in table.rows:
        supplier = ref(suppliers, table, row, "supplier", problems)
        material = ref(materials, table, row, "material", problems)
        period = periods.index(table, row, "period", problems)
        if supplier is None or material is None or period is None or row["unit_cost"] is None:
            continue
        offer = position.get((canonical(supplier), canonical(material)))
        if offer is None:
            problems.add(
                f"{supplier} has no offer of {material} in Suppliers: a price needs an offer",
                value=row.get("material"),
                **table.where(row, "material"),
            )
            continue
        key = (offer, period)
        what = f"repeats the price of {supplier} / {material} in {periods.labels[period]}"
        if first_time(seen, key, what, table, row, "period", problems):
            records.append(
                {
                    "offer": offer,
                    "period": period,
                    "unit_cost": row["unit_cost"],
                    "row": row["_row"],
                }
            )
    return frame(records, PRICE_COLUMNS)
