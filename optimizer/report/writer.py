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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from optimizer.report.bulk_rows import BulkSheet, DataColumn, register, splice
from optimizer.report.columns import NOTES, spec_of

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
    "int": "#,##0",
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


WIDEST = 60
"""Characters: the widest a table's column is made; longer text in it wraps."""
HEADING = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
LABEL = {"valign": "top"}
"""The styles of a header cell and of a Summary metric's label."""


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
        self.header = book.add_format(HEADING)
        self.text = book.add_format({"valign": "top"})
        self.quoted = book.add_format({"quote_prefix": True, "valign": "top"})
        self.wrapped = book.add_format({"text_wrap": True, "valign": "top"})
        self.wrapped_quoted = book.add_format(
            {"text_wrap": True, "valign": "top", "quote_prefix": True}
        )
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
        self.labels: dict[tuple[int, str | None], Format] = {}

    def header_cell(
        self, sheet: Worksheet, row: int, col: int, key: str, heading: bool = True
    ) -> None:
        """Write a header cell (`heading`) or a Summary metric: the key as its value, the
        label in plain words with its unit as what it shows (a text number format; see
        `report.columns`)."""
        label = spec_of(key).header(self.currency)
        style = HEADING if heading else LABEL
        if label == key:
            sheet.write_string(row, col, safe_text(key)[0], self._label_format(style, None))
            return
        sheet.write_string(row, col, key, self._label_format(style, label.replace('"', "'")))

    def _label_format(self, style: dict[str, object], shown: str | None) -> Format:
        """One Format per (style, label shown): xlsxwriter keeps each format it is given."""
        key = (id(style), shown)
        if key not in self.labels:
            number = {} if shown is None else {"num_format": f';;;"{shown}"'}
            self.labels[key] = self.book.add_format({**style, **number})
        return self.labels[key]

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
        if len(text) > WIDEST:  # wraps within its column, which is at most this wide
            fmt = self.wrapped_quoted if quoted else self.wrapped
        else:
            fmt = self.quoted if quoted else self.text
        sheet.write_string(row, col, text, fmt)

    def block(
        self,
        sheet: Worksheet,
        first_row: int,
        columns: Sequence[Column],
        rows: Sequence[Sequence[object]],
    ) -> int:
        """A header and its rows from `first_row`; returns the row after the block."""
        for index, column in enumerate(columns):
            self.header_cell(sheet, first_row, index, column.name)
        for row_index, values in enumerate(rows, start=first_row + 1):
            for col_index, (value, column) in enumerate(zip(values, columns, strict=True)):
                self.cell(sheet, row_index, col_index, value, column.kind)
        return first_row + len(rows) + 1

    def table(
        self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[object]]
    ) -> Worksheet:
        """A sheet holding one table: header row frozen, autofilter, widths from content."""
        sheet = self.book.add_worksheet(name)
        self.block(sheet, 0, columns, rows)
        widths = self._widths(sheet, [column.name for column in columns], rows[:500])
        for index, values in enumerate(rows, start=1):  # wrapped text: its row is made high
            lines = max((_lines(value, width) for value, width in zip(values, widths, strict=True)),
                        default=1)  # fmt: skip
            if lines > 1:
                sheet.set_row(index, 15 * lines)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        print_setup(sheet, len(rows), len(columns))
        return sheet

    def frame(
        self, name: str, frame: pd.DataFrame, highlight: dict[str, str] | None = None
    ) -> Worksheet:
        """A DataFrame as a sheet, each column labelled and formatted by its
        specification (`report.columns`).

        xlsxwriter writes the header (with each number column's unit as a note), widths,
        frozen pane, filter and `highlight` by column (`alarm`: red when above zero,
        `bar`: a data bar from 0 to 1); the data
        rows are spliced in by `sheetdata` when the workbook is closed (see `close`).
        """
        columns = columns_of(frame)
        sheet = self.book.add_worksheet(name)
        self._widths(sheet, [c.name for c in columns], frame.head(500).itertuples(index=False))
        data = []
        for index, column in enumerate(columns):
            self.header_cell(sheet, 0, index, column.name)
            if column.name in NOTES:
                note = NOTES[column.name].format(currency=self.currency)
                sheet.write_comment(0, index, note, {"x_scale": 1.6, "y_scale": 0.6})
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

    def reference(
        self, name: str, frame: pd.DataFrame, highlight: dict[str, str] | None = None
    ) -> Worksheet:
        """A long reference sheet (`frame`), of which only the first page prints, with a
        page header saying so."""
        sheet = self.frame(name, frame, highlight)
        if len(frame) > PRINTED_ROWS:
            page_header(sheet, [print_first(sheet, len(frame), len(frame.columns), name)])
        return sheet

    def _widths(
        self, sheet: Worksheet, keys: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> list[int]:
        """Column widths from the content (returned), each at least its label's longest
        word and at most `WIDEST`; a label wider than its column wraps onto a second header line."""
        labels = [spec_of(key).header(self.currency) for key in keys]
        widths = [max(len(word) for word in label.split()) + 2 if label else 8 for label in labels]
        for values in rows:
            for index, value in enumerate(values):
                widths[index] = max(widths[index], min(len(_shown(value)) + 2, WIDEST))
        lines = 1
        for index, label in enumerate(labels):
            widths[index] = width = max(widths[index], 8, min(len(label) + 2, 16))
            sheet.set_column(index, index, width)
            lines = max(lines, min(-(-(len(label) + 2) // width), 3))
        if lines > 1:
            sheet.set_row(0, 15 * lines)
        return widths

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


def print_first(sheet: Worksheet, rows: int, columns: int, what: str) -> str:
    """Print only the first `rows` data rows of a long reference sheet (the workbook
    keeps every row; filter it on screen); returns the page header's line saying so."""
    shown = min(rows, PRINTED_ROWS)
    sheet.print_area(0, 0, max(shown, 1), max(columns - 1, 0))
    sheet.fit_to_pages(1, 1)
    return f"{what}: the first {shown} of {rows} rows are printed; the workbook holds them all."


def not_printed(sheet: Worksheet, line: str) -> str:
    """A data sheet whose figures print elsewhere: its printed page holds only its first
    cell and `line`, returned for its page header (a workbook prints every sheet that is
    not hidden, and these stay in sight for filters and scripts)."""
    sheet.print_area(0, 0, 0, 0)
    return line


def page_header(sheet: Worksheet, lines: Sequence[str]) -> None:
    """The lines printed at the top of every page of the sheet (Excel allows 255
    characters in all, so each line is kept short)."""
    text = "\n".join(line.replace("&", "&&") for line in lines)
    sheet.set_header(f"&L&9{text}"[:255], {"margins": 0.3})


def wrapped_lines(value: object, width: int) -> int:
    """Lines a text value takes when it wraps in a column `width` characters wide
    (numbers: one); the body font is narrower than the width's unit."""
    if not isinstance(value, str):
        return 1
    return max(1, math.ceil(len(value) / (width + 3)))


def _lines(value: object, width: int) -> int:
    """Lines a table cell takes: text longer than `WIDEST` wraps (at most 12 lines)."""
    if not isinstance(value, str) or len(value) <= WIDEST:
        return 1
    return min(wrapped_lines(value, width), 12)


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if math.isfinite(value) else ""
    return str(value)


def columns_of(frame: pd.DataFrame) -> list[Column]:
    """The columns of a DataFrame, each with the number format of its specification."""
    return [Column(str(c), spec_of(str(c)).kind) for c in frame.columns]
