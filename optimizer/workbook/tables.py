"""Raw sheets → typed tables: every cell read as its column's kind, every problem located."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer.domain.names import Row
from optimizer.problems import Problems
from optimizer.workbook import cells
from optimizer.workbook.schema import Column, Kind, Sheet
from optimizer.workbook.sheets import RawSheet, is_blank

MONTH_LABEL = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class Table:
    """A sheet read against its declaration: typed rows, each with its Excel row number."""

    sheet: str
    columns: dict[str, int]
    header_row: int = 1
    rows: list[Row] = field(default_factory=list)

    def where(self, row: Row | None, column: str | None = None) -> dict:
        """Location keywords for a problem about `column` of `row` (or the sheet)."""
        return {
            "sheet": self.sheet,
            "row": row["_row"] if row is not None else None,
            "column": column,
            "column_index": self.columns.get(column) if column else None,
        }


def period_format(raw: RawSheet | None) -> str:
    """How a date cell used as a period label is written: `YYYY-MM` or `YYYY-MM-DD`.

    Months when every date in the Periods sheet is the first of a month, or, with no
    dates there, when every period label there looks like `YYYY-MM`.
    """
    if raw is None or "period" not in raw.headers:
        return cells.DAY_FORMAT
    values = [raw.value(row, "period") for _, row in raw.rows]
    dates = [v for v in values if not isinstance(v, str | float | int | bool)]
    if dates:
        return cells.MONTH_FORMAT if all(map(cells.is_first_of_month, dates)) else cells.DAY_FORMAT
    texts = [str(v).strip() for v in values if not is_blank(v)]
    if texts and all(MONTH_LABEL.fullmatch(text) for text in texts):
        return cells.MONTH_FORMAT
    return cells.DAY_FORMAT


def cell_reader(column: Column, period_fmt: str = cells.DAY_FORMAT) -> Callable[[object], object]:
    """The function that reads one cell of this column."""
    if column.kind is Kind.PERIOD:
        return lambda value: cells.label(value, period_fmt)
    if column.kind in (Kind.NUMBER, Kind.WHOLE):
        return lambda value: cells.bounded(cells.number(value), column.name)
    return {
        Kind.LABEL: cells.label,
        Kind.TEXT: cells.free_text,
        Kind.YES_NO: cells.yes_no,
        Kind.LIST: cells.items,
        Kind.SHARES: cells.shares,
        Kind.ANY: lambda value: None if is_blank(value) else value,
    }[column.kind]


def check_bounds(column: Column, value: float) -> bool:
    """True when a number satisfies the column's kind and bounds."""
    if column.kind is Kind.WHOLE and value != int(value):
        return False
    if column.low is not None and (value < column.low or (column.low_open and value == column.low)):
        return False
    return column.high is None or value <= column.high


def _missing_column(raw: RawSheet, spec: Sheet, column: Column, problems: Problems) -> None:
    """A required column is missing: an error at the header row, naming the unknown
    header that comes closest to it (a typo, or a character that only looks the same)."""
    unknown = {name: index for name, index in raw.headers.items() if name not in spec.column_names}
    close = difflib.get_close_matches(column.name, list(unknown), n=1, cutoff=0.7)
    message = f"required column {column.name!r} is missing from the header row"
    if not close:
        problems.add(message, sheet=raw.name, row=raw.header_row)
        return
    index = unknown[close[0]]
    typed = str(raw.typed.get(index, close[0]))
    odd = sorted({f"U+{ord(char):04X} {unicodedata.name(char, '?')}" for char in typed
                  if not (char.isascii() and (char.isalnum() or char in " _"))})  # fmt: skip
    because = f" (it contains {', '.join(odd)})" if odd else ""
    problems.add(
        f"{message}; this header looks like it{because}: type it as {column.name}",
        sheet=raw.name,
        row=raw.header_row,
        column_index=index,
        value=typed,
    )


def read_table(raw: RawSheet | None, spec: Sheet, problems: Problems, period_fmt: str) -> Table:
    """Read one sheet; a missing optional sheet gives an empty table."""
    if raw is None:
        if spec.required:
            problems.add(f"required sheet {spec.name!r} is missing")
        return Table(spec.name, {})
    table = Table(raw.name, dict(raw.headers), raw.header_row)
    present = []
    for column in spec.columns:
        if column.name in raw.headers:
            present.append((column, raw.headers[column.name], cell_reader(column, period_fmt)))
        elif column.required:
            _missing_column(raw, spec, column, problems)
    for number, row_cells in raw.rows:
        row: Row = {"_row": number}
        for column, index, read in present:
            raw_value = row_cells[index] if index < len(row_cells) else None
            if isinstance(raw_value, str) and is_blank(raw_value):
                raw_value = None
            where = {"sheet": raw.name, "row": number, "column": column.name, "column_index": index}
            try:
                value = read(raw_value)
            except cells.CellError as error:
                problems.add(f"{error}; expected {column.expected}", value=raw_value, **where)
                value = None
            else:
                if value is None and column.required:
                    problems.add(f"is blank; {column.expected} is required", **where)
                elif isinstance(value, float) and not check_bounds(column, value):
                    problems.add(f"must be {column.expected}", value=raw_value, **where)
                    value = None
            row[column.name] = value
        table.rows.append(row)
    return table
