"""The sheets keyed by site and material: Demand, Stock and Pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.names import Names, Row
from optimizer.problems import Problems
from optimizer.workbook.rules.common import Periods, first_time, frame, given, ref
from optimizer.workbook.schema import SHEETS
from optimizer.workbook.tables import Table

QUANTITY_COLUMNS = ["site", "material", "period", "quantity", "row"]
STOCK_COLUMNS = ["site", "material", "initial", "min", "max", "target_end", "row"]


def demand_from(
    table: Table, sites: Names, materials: Names, periods: Periods, problems: Problems
) -> pd.DataFrame:
    """One row per (site, material, period); a repeat is an error. No demand at all is a
    plan that buys nothing (SPEC §2: always feasible), said in a warning."""
    rows = _keyed_rows(table, "demand", ["quantity"], True, sites, materials, periods, problems)
    if table.columns and not any(row["quantity"] for row in rows):
        problems.warn(
            "no demand: the sheet has no rows with a quantity above 0, so the plan buys "
            "nothing for demand",
            sheet=table.sheet,
            row=table.header_row,
        )
    return frame(rows, QUANTITY_COLUMNS)


def pipeline_from(
    table: Table, sites: Names, materials: Names, periods: Periods, problems: Problems
) -> pd.DataFrame:
    """Arrivals already ordered; rows of one (site, material, period) are added up."""
    rows = _keyed_rows(table, "pipeline", ["quantity"], False, sites, materials, periods, problems)
    return (
        frame(rows, QUANTITY_COLUMNS)
        .groupby(["site", "material", "period"], as_index=False, sort=False)
        .agg(quantity=("quantity", "sum"), row=("row", "first"))
    )


def stock_from(table: Table, sites: Names, materials: Names, problems: Problems) -> pd.DataFrame:
    """One row per (site, material), blanks filled; levels above `max` are reported."""
    columns = ["initial", "min", "max", "target_end"]
    rows = _keyed_rows(table, "stock", columns, True, sites, materials, None, problems)
    by_row = {row["_row"]: row for row in table.rows}
    for record in rows:
        limit = record["max"]
        if limit is None:
            continue
        row = by_row[record["row"]]
        for column in ("initial", "min"):
            value = record[column]
            if value is not None and value > limit:
                problems.add(
                    f"is above max {limit:g}: storage cannot hold it",
                    value=value,
                    **table.where(row, column),
                )
        target = record["target_end"]
        if target is not None and target > limit:
            problems.warn(
                f"is above max {limit:g}: the end target can never be met",
                value=target,
                **table.where(row, "target_end"),
            )
    records = [
        {
            "site": r["site"],
            "material": r["material"],
            "initial": given(r["initial"], 0.0),
            "min": given(r["min"], 0.0),
            "max": given(r["max"], np.inf),
            "target_end": given(r["target_end"], 0.0),
            "row": r["row"],
        }
        for r in rows
    ]
    return frame(records, STOCK_COLUMNS)


def _keyed_rows(
    table: Table,
    key: str,
    columns: list[str],
    unique: bool,
    sites: Names,
    materials: Names,
    periods: Periods | None,
    problems: Problems,
) -> list[Row]:
    """Resolve site, material (and period, unless `periods` is None) of each row.

    Rows with an unusable key or a missing required quantity are dropped; their
    problems are already recorded.
    """
    kept = []
    seen: dict[tuple, object] = {}
    required = [c.name for c in SHEETS[key].columns if c.required and c.name in columns]
    for row in table.rows:
        site = ref(sites, table, row, "site", problems)
        material = ref(materials, table, row, "material", problems)
        when = -1 if periods is None else periods.index(table, row, "period", problems)
        if site is None or material is None or when is None:
            continue
        if any(row.get(column) is None for column in required):
            continue
        ident = (site, material, when)
        if unique:
            what = f"{site} / {material}"
            if periods is not None:
                what += f" / {periods.labels[when]}"
            what = f"repeats {what}; each combination may appear once"
            if not first_time(seen, ident, what, table, row, "site", problems):
                continue
        kept.append(
            {"site": site, "material": material, "period": when, "row": row["_row"]}
            | {column: row.get(column) for column in columns}
        )
    return kept


def check_site_storage(
    table: Table, sites: pd.DataFrame, stock: pd.DataFrame, problems: Problems
) -> None:
    """Initial stock above a site's storage (SPEC §1 Sites.storage) is an error: the
    warehouse cannot hold what is already in it."""
    held = stock.groupby("site")["initial"].sum()
    by_row = {row["_row"]: row for row in table.rows}
    for site, storage in sites["storage"].dropna().items():
        initial = float(held.get(site, 0.0))
        if initial > storage:
            problems.add(
                f"is below the initial stock of {site} ({initial:g} t over all materials in "
                "Stock): storage cannot hold it",
                value=storage,
                **table.where(by_row[sites.at[site, "row"]], "storage"),
            )
