"""Writing workbooks with xlsxwriter: tables, formats, safe text, bulk data rows.

Every string taken from the input is written as text, never as a formula: workbooks
are opened with `strings_to_formulas` off, and text that Excel would treat as a formula
when edited (leading `=`, `+`, `-`, `@`, tab or CR; OWASP "CSV injection") gets the
quote-prefix style. Control characters are replaced and text is cut at Excel's
32,767-character cell limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from optimizer.report.bulk_rows import BulkSheet, DataColumn, register, splice

EXCEL_TEXT_LIMIT = 32_767
TRUNCATED = "… [truncated]"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WORKBOOK_OPTIONS = {
    # parts are assembled in memory: a temporary file per part cost 0.2 s of every solve
    # (big data rows never pass through xlsxwriter: see bulk_rows.py)
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}
NUMBER_FORMATS = {
    "t": "#,##0.000",
    "money": "#,##0.00",
    "amount": "#,##0",
    "share": "0.0%",
    "int": "0",
    "number": "#,##0.00",
    "seconds": "0.00",
    "gap": "0.000%",
}


def safe_text(value: object) -> tuple[str, bool]:
    """(text fit for a cell, whether it needs the quote prefix to stay text when edited)."""
    text = CONTROL.sub("\ufffd", str(value))
    if len(text) > EXCEL_TEXT_LIMIT:
        text = text[: EXCEL_TEXT_LIMIT - len(TRUNCATED)] + TRUNCATED
    return text, text.startswith(FORMULA_START)


@dataclass(frozen=True)
class Column:
    """A column of an output sheet: header and kind (text or a number format key)."""

    name: str
    kind: str = "text"


class Writer:
    """Writes tables as sheets with a frozen header, filters, widths and number formats."""

    def __init__(self, book: xlsxwriter.Workbook, currency: str = "USD") -> None:
        self.book = book
        self.currency = currency
        self.bulk: list[BulkSheet] = []
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.text = book.add_format({})
        self.quoted = book.add_format({"quote_prefix": True})
        alarm = book.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
        self.highlights = {
            "alarm": {"type": "cell", "criteria": ">", "value": 0, "format": alarm},
            "bar": {"type": "data_bar", "bar_color": "#63BE7B", "min_type": "num",
                    "min_value": 0, "max_type": "num", "max_value": 1},
        }  # fmt: skip
        shared = {fmt: book.add_format({"num_format": fmt}) for fmt in set(NUMBER_FORMATS.values())}
        # one Format per distinct number format: xlsxwriter gives an index only to the
        # first of several identical Format objects, and the spliced rows need it
        self.numbers = {kind: shared[fmt] for kind, fmt in NUMBER_FORMATS.items()}

    def cell(self, sheet: Worksheet, row: int, col: int, value: object, kind: str) -> None:
        """Write one value with the format of its kind; blanks for None and NaN."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return
        if (
            kind != "text"
            and isinstance(value, int | float | np.number)
            and not isinstance(value, bool)
        ):
            sheet.write_number(row, col, float(value), self.numbers[kind])
            return
        text, quoted = safe_text(value)
        sheet.write_string(row, col, text, self.quoted if quoted else self.text)

    def block(
        self,
        sheet: Worksheet,
        first_row: int,
        columns: Sequence[Column],
        rows: Sequence[Sequence[object]],
    ) -> int:
        """A header and its rows from `first_row`; returns the row after the block."""
        for index, column in enumerate(columns):
            sheet.write_string(first_row, index, column.name, self.header)
        for row_index, values in enumerate(rows, start=first_row + 1):
            for col_index, (value, column) in enumerate(zip(values, columns, strict=True)):
                self.cell(sheet, row_index, col_index, value, column.kind)
        return first_row + len(rows) + 1

    def table(
        self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[object]]
    ) -> Worksheet:
        """A sheet holding one table: header row frozen, autofilter, widths from content."""
        sheet = self.book.add_worksheet(name)
        widths = [len(column.name) + 2 for column in columns]
        for values in rows[:500]:
            for index, value in enumerate(values):
                widths[index] = max(widths[index], min(len(_shown(value)) + 2, 60))
        for index, width in enumerate(widths):
            sheet.set_column(index, index, max(width, 8))
        self.block(sheet, 0, columns, rows)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        print_setup(sheet, len(rows), len(columns))
        return sheet

    def frame(
        self, name: str, frame: pd.DataFrame, highlight: dict[str, str] | None = None
    ) -> Worksheet:
        """A DataFrame as a sheet, each column formatted by `kind_of` its name.

        xlsxwriter writes the header (with each number column's unit as a note), widths,
        frozen pane, filter and `highlight` by column (`alarm`: red when above zero,
        `bar`: a data bar from 0 to 1); the data
        rows are spliced in by `sheetdata` when the workbook is closed (see `close`).
        """
        columns = columns_of(frame)
        sheet = self.book.add_worksheet(name)
        widths = [len(column.name) + 2 for column in columns]
        for values in frame.head(500).itertuples(index=False, name=None):
            for index, value in enumerate(values):
                widths[index] = max(widths[index], min(len(_shown(value)) + 2, 60))
        data = []
        for index, (column, width) in enumerate(zip(columns, widths, strict=True)):
            sheet.set_column(index, index, max(width, 8))
            sheet.write_string(0, index, column.name, self.header)
            unit = unit_of(column.name, self.currency)
            if unit:
                sheet.write_comment(0, index, unit, {"x_scale": 1.3, "y_scale": 0.5})
            number_format = None if column.kind == "text" else self.numbers[column.kind]
            data.append(DataColumn(frame.iloc[:, index].tolist(), number_format, safe_text))
        register(sheet, data, self.quoted)
        for column_name, style in (highlight or {}).items():
            index = frame.columns.get_loc(column_name)
            sheet.conditional_format(1, index, max(len(frame), 1), index, self.highlights[style])
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))
        print_setup(sheet, len(frame), len(columns))
        self.bulk.append(BulkSheet(sheet, data, len(frame), self.quoted))
        return sheet

    def close(self, path: Path) -> None:
        """Close the workbook written to `path` and splice in the bulk data rows."""
        self.book.close()
        splice(path, self.bulk)


FOOTER = "&L&A&RPage &P of &N"
"""Every printed page: the sheet's name on the left, its page number on the right."""


def print_setup(sheet: Worksheet, rows: int, columns: int) -> None:
    """Data sheets print landscape on A4, all columns on one page wide, the header row
    repeated on every page, with gridlines and page numbers."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.print_area(0, 0, max(rows, 1), max(columns - 1, 0))
    sheet.hide_gridlines(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer(FOOTER)


PRINTED_ROWS = 40
"""Rows of a reference sheet that print: the first page (the sheet keeps every row)."""


def print_first(sheet: Worksheet, rows: int, columns: int, what: str) -> None:
    """Print only the first `rows` data rows of a long reference sheet, the page header
    saying so in words (the workbook keeps every row; filter it on screen)."""
    shown = min(rows, PRINTED_ROWS)
    sheet.print_area(0, 0, max(shown, 1), max(columns - 1, 0))
    sheet.set_header(f"&L&9{what}: the first {shown} of {rows} rows are printed; "
                     "the workbook holds them all.")  # fmt: skip


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if math.isfinite(value) else ""
    return str(value)


MONEY = {
    "objective", "purchase", "tariff", "freight", "risk", "holding", "shortage", "safety",
    "salvage", "failed", "cost", "alone", "difference", "expected_cost", "cvar", "ws", "eev",
    "vss", "evpi",
    "landed_cost", "total_cost", "risk_cost", "change_vs_base", "saving_per_extra_t",
    "cash_spend", "penalties", "saving", "objective_after", "top_limit_saving", "fixed",
    "conversion", "conversion_cost", "take_or_pay", "price_per_t", "paid_for_nothing",
}  # fmt: skip
NOTES = {
    "saving_per_unit": "{currency} per unit of the limit (see unit): the marginal value, "
    "valid only while the limit moves to valid_to; the Savings sheet re-solves stated "
    "relaxations",
    "valid_to": "the limit value (same unit) up to which saving_per_unit holds (HiGHS "
    "ranging); blank: not known",
    "saving": "{currency}: objective minus the re-solved objective with only this relaxation",
    "cash_spend": "{currency}: what is paid out: purchase + tariff + freight + fixed + "
    "conversion + take_or_pay",
}
TONNES = {
    "quantity", "opening", "receipts", "pipeline", "demand", "shortfall", "closing", "min",
    "max", "cover_needed", "floor_gap", "cover_gap", "used", "capacity",
    "made", "consumed", "site_storage", "site_stock",
}  # fmt: skip
SHARES = {"approval", "utilisation", "change_vs_base_pct", "licensed_share", "probability"}


def kind_of(column: str) -> str:
    """The number format of a column (or Summary metric) from its name."""
    if column in MONEY:
        return "money"
    if column == "mip_gap":
        return "gap"
    if column in TONNES or column.endswith("_t"):
        return "t"
    if column in SHARES or column.endswith("share") or column.startswith(("share", "arrives")):
        return "share"
    if column.endswith("seconds"):
        return "seconds"
    if column in (
        "delivery_variables",
        "samples_used",
        "sample",
        "solved_samples",
        "failed_samples",
        "binding_periods",
        "changed_rows",
        "commit_periods",
        "suppliers_used",
        "offers_used",
    ):
        return "int"
    return "number"


def columns_of(frame: pd.DataFrame) -> list[Column]:
    """The columns of a DataFrame, each with the number format of its name."""
    return [Column(str(c), kind_of(str(c))) for c in frame.columns]


def unit_of(column: str, currency: str) -> str:
    """The unit of a column, for its header note ('' when it has none)."""
    if column in NOTES:
        return NOTES[column].format(currency=currency)
    kind = kind_of(column)
    if kind == "t":
        return "tonnes (t)"
    if kind in ("share", "gap"):
        return "share, shown as %"
    if kind == "money":
        return (
            f"{currency} per t"
            if column.endswith("_per_t") or column == "landed_cost"
            else currency
        )
    return ""
