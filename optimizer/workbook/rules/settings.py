"""The Settings sheet: key/value rows → `Settings`; the settings that name other sheets."""

from __future__ import annotations

import dataclasses
from typing import Any

from optimizer.domain.inputs import Settings
from optimizer.domain.names import Names, Row, canonical, hint
from optimizer.problems import Problems
from optimizer.workbook import cells
from optimizer.workbook.rules.common import first_time
from optimizer.workbook.schema import SETTINGS, Column, Kind
from optimizer.workbook.tables import Table, cell_reader, check_bounds


def settings_from(table: Table, problems: Problems) -> Settings:
    """Every known key read as its declared kind; unknown keys warned about and ignored."""
    values: dict[str, Any] = {}
    seen: dict[str, object] = {}
    for row in table.rows:
        key = row.get("key")
        if key is None:
            continue
        name = canonical(key)
        column = SETTINGS.get(name)
        if column is None:
            problems.warn(
                f"unknown setting, ignored{hint(str(key), SETTINGS)}",
                value=key,
                **table.where(row, "key"),
            )
            continue
        if not first_time(seen, name, "setting is given twice", table, row, "key", problems):
            continue
        value = _setting_value(column, row, table, problems)
        if value is not None:
            values[name] = value
    return Settings(**values)


def _setting_value(column: Column, row: Row, table: Table, problems: Problems) -> object:
    raw = row.get("value")
    where = table.where(row, "value")
    try:
        value = cell_reader(column)(raw)
    except cells.CellError as error:
        problems.add(f"{error}; expected {column.expected}", value=raw, **where)
        return None
    if isinstance(value, float) and not check_bounds(column, value):
        problems.add(f"must be {column.expected}", value=raw, **where)
        return None
    return int(value) if column.kind is Kind.WHOLE and value is not None else value


def with_scenario(
    settings: Settings, scenarios: Names, table: Table, problems: Problems
) -> Settings:
    """Settings with `scenario` spelled as declared; an error when it names no scenario."""
    chosen = scenarios.get(settings.scenario)
    if chosen is not None:
        return dataclasses.replace(settings, scenario=chosen)
    row = _key_row(table, "scenario")
    problems.add(
        f"is not a scenario{hint(settings.scenario, scenarios.display.values())}",
        value=settings.scenario,
        **table.where(row, "value"),
    )
    return settings


def check_commit_window(settings: Settings, horizon: int, table: Table, problems: Problems) -> None:
    """Report a Settings `commit_periods` K beyond the horizon (0 ≤ K ≤ T, SPEC §6)."""
    if settings.commit_periods is None or settings.commit_periods <= horizon:
        return
    problems.add(
        f"must be between 0 and the number of periods ({horizon})",
        value=settings.commit_periods,
        **table.where(_key_row(table, "commit_periods"), "value"),
    )


def _key_row(table: Table, key: str) -> Row | None:
    """The row that sets `key` (None when the value is the built-in default)."""
    return next((r for r in table.rows if canonical(r.get("key") or "") == key), None)
