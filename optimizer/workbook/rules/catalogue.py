"""The sheets that declare names: Periods, Materials, Countries and Sites."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Settings
from optimizer.domain.names import Names, Row, canonical
from optimizer.domain.words import DEFENSE, ELEMENTS, SYMBOLS
from optimizer.problems import Problems
from optimizer.workbook.rules.common import Periods, declared, frame, given
from optimizer.workbook.tables import Table

COUNTRY_COLUMNS = ["country", "tariff", "covered", "max_share", "row"]
SITE_COLUMNS = ["site", "end_use", "storage", "row"]


def periods_from(table: Table, problems: Problems) -> tuple[Periods, list[float | None]]:
    """The declared periods in order, and each one's budget (None: unlimited)."""
    names = Names(table.sheet)
    labels, budget = [], []
    for row in table.rows:
        if declared(names, table, row, "period", problems) is not None:
            labels.append(str(row["period"]))
            budget.append(row.get("budget"))
    if not labels and table.columns:
        problems.add("has no periods: list at least one", sheet=table.sheet)
    position = {label: index for index, label in enumerate(labels)}
    return Periods(names, tuple(labels), position), budget


def materials_from(table: Table, problems: Problems) -> tuple[list[Row], Names]:
    """The declared materials' rows, `elements` as known symbols; penalties come later."""
    names = Names(table.sheet)
    kept = []
    for row in table.rows:
        if declared(names, table, row, "material", problems) is None:
            continue
        elements = []
        listed = row.get("elements") or []
        for item in listed:
            symbol = SYMBOLS.get(item.casefold())
            if symbol is None:
                problems.add(
                    f"lists {item!r}, which is not a rare-earth element symbol "
                    f"(one of {' '.join(ELEMENTS)})",
                    value=", ".join(listed),
                    **table.where(row, "elements"),
                )
            elif symbol not in elements:
                elements.append(symbol)
        content = _content(row, table, elements, problems)
        kept.append({**row, "elements": tuple(elements), "content": content})
    return kept, names


def _content(row: Row, table: Table, elements: list[str], problems: Problems) -> dict[str, float]:
    """Materials.content: element symbol → mass share; every symbol must also be listed in
    the material's `elements` (SPEC §1, §8)."""
    content: dict[str, float] = {}
    for name, share in row.get("content") or []:
        symbol = SYMBOLS.get(name.casefold())
        if symbol is None:
            problems.add(
                f"names {name!r}, which is not a rare-earth element symbol "
                f"(one of {' '.join(ELEMENTS)})",
                **table.where(row, "content"),
            )
        elif symbol not in elements:
            problems.add(
                f"gives a share of {symbol}, which is not in its elements "
                f"({', '.join(elements) or 'none'}): add {symbol} to elements",
                **table.where(row, "content"),
            )
        else:
            content[symbol] = share
    return content


def countries_from(
    table: Table, settings: Settings, problems: Problems
) -> tuple[pd.DataFrame, Names]:
    """Countries indexed by name, blanks filled (`max_share` from Settings)."""
    names = Names(table.sheet)
    records = []
    for row in table.rows:
        name = declared(names, table, row, "country", problems)
        if name is None:
            continue
        records.append(
            {
                "country": name,
                "tariff": given(row.get("tariff"), 0.0),
                "covered": bool(given(row.get("covered"), False)),
                "max_share": given(row.get("max_share"), settings.max_country_share),
                "row": row["_row"],
            }
        )
    return frame(records, COUNTRY_COLUMNS, "country"), names


def sites_from(table: Table, problems: Problems) -> tuple[pd.DataFrame, Names, Names]:
    """Sites indexed by name; the site names and the end-use labels they carry."""
    names = Names(table.sheet)
    end_uses = Names(table.sheet + " end_use")
    records = []
    for row in table.rows:
        name = declared(names, table, row, "site", problems)
        if name is None:
            continue
        end_use = str(given(row.get("end_use"), "commercial"))
        known = end_uses.get(end_use)
        if known is None:
            end_uses.display[canonical(end_use)] = end_use
            known = end_use
        key = canonical(end_use)
        if key != DEFENSE and ("defen" in key or key == "military"):
            problems.warn(
                "is not the label 'defense': the covered-country exclusion does not apply",
                value=end_use,
                **table.where(row, "end_use"),
            )
        storage = given(row.get("storage"), np.nan)
        records.append({"site": name, "end_use": known, "storage": storage, "row": row["_row"]})
    return frame(records, SITE_COLUMNS, "site"), names, end_uses
