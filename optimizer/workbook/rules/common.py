"""What every sheet's rules share: repeat checks, declarations, period positions, frames."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.domain.names import Names, Row
from optimizer.problems import Problems
from optimizer.workbook.tables import Table


def given(*values: object) -> object:
    """The first value that is not None (None when all are)."""
    return next((value for value in values if value is not None), None)


def first_time(
    seen: dict, key: object, what: str, table: Table, row: Row, column: str, problems: Problems
) -> bool:
    """Record `key`; a repeat is an error naming the first row. True when new."""
    if key in seen:
        problems.add(
            f"{what} (first in row {seen[key]})", value=row.get(column), **table.where(row, column)
        )
        return False
    seen[key] = row["_row"]
    return True


def declared(names: Names, table: Table, row: Row, column: str, problems: Problems) -> object:
    """The row's identifier in `column` once declared in `names`; None when blank or repeated."""
    name = row.get(column)
    if name is None or not names.declare(str(name), table, row, column, problems):
        return None
    return name


def ref(names: Names, table: Table, row: Row, column: str, problems: Problems) -> str | None:
    """The declared spelling of the name in `column`; an error with a hint when unknown."""
    return names.resolve(row.get(column), table, row, column, problems)


@dataclass(frozen=True)
class Periods:
    """The declared periods: their registry, their labels in order, each label's position."""

    names: Names
    labels: tuple[str, ...]
    position: dict[str, int]

    def index(self, table: Table, row: Row, column: str, problems: Problems) -> int | None:
        """The 0-based position of the period the cell names; None when blank or unknown."""
        label = ref(self.names, table, row, column, problems)
        return None if label is None else self.position[label]


EMPTY_DTYPES = {
    "capacity": float, "unit_cost": float, "freight": float, "lead_time": "int64",
    "first": "int64", "last": "int64", "period": "int64", "quantity": float, "tariff": float,
    "covered": bool, "max_share": float, "allowed": bool, "initial": float, "min": float,
    "max": float, "target_end": float, "approval": float, "delay_days": float,
    "capacity_factor": float, "cost_factor": float, "extra_tariff": float, "from_t": "int64",
    "to_t": "int64", "fixed_cost": float, "min_order": float, "cost": float, "input": float,
    "output": float, "storage": float, "min_total": float, "take_or_pay_price": float,
    "min_content": float, "offer": "int64",
}  # fmt: skip
"""Column types of a table with no rows (pandas would make every column `object`)."""


def frame(records: list[dict], columns: list[str], index: str | None = None) -> pd.DataFrame:
    """Records as a frame with these columns, typed even when there are none."""
    table = pd.DataFrame.from_records(records, columns=columns)
    if not records:
        table = table.astype({c: t for c, t in EMPTY_DTYPES.items() if c in table.columns})
    return table.set_index(index) if index else table
