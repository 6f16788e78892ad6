"""A board of scenarios side by side, one column per scenario, on one printed A4 page.

Scenarios are the columns and measures the rows, so that a page holds eight or nine
scenarios at a readable size (more spread over further pages, the measure column
repeated); the first row says what each scenario assumes. The what-if Dashboard and the
robust book's By scenario sheet are boards; their data sheets (Comparison, Scenarios)
keep one row per scenario for scripts and filters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from optimizer.report.columns import spec_of
from optimizer.report.dashboard import DASHBOARD_FORMATS, one_page
from optimizer.report.writer import Writer, safe_text, wrapped_lines

PER_PAGE = 9
"""Scenario columns printed on one page width; more spread over further pages."""
LABEL_WIDTH, SCENARIO_WIDTH = 38, 19
"""Characters: the measure column and each scenario's column."""
MOST_LINES = 9
"""A wrapped text row is at most this many lines high."""
DESCRIPTION = "What the scenario assumes"


@dataclass(frozen=True)
class Measure:
    """A row of a board: its label with its unit, how to read it from a scenario's row
    (None: blank), and its kind (a `DASHBOARD_FORMATS` key)."""

    label: str
    value: Callable[[pd.Series], object]
    kind: str = "text"


def keyed(key: str, currency: str, label: str | None = None) -> Measure:
    """The measure of a column key, labelled and formatted by its specification (or
    `label`, followed by the specification's unit)."""
    spec = spec_of(key)
    shown = spec.header(currency)
    if label is not None:
        shown = label + shown[len(spec.label) :]
    kind = spec.kind if spec.kind in DASHBOARD_FORMATS else "t"
    return Measure(shown, lambda row: row.get(key), kind)


def write_board(
    writer: Writer, sheet: Worksheet, title: str, rows: pd.DataFrame, measures: Sequence[Measure]
) -> int:
    """Fill `sheet` with `title`, a line on units, and `rows` (one per scenario, with a
    `scenario` column) as columns, one row per measure that any scenario has; returns
    the first free row."""
    one_page(sheet)
    count = len(rows)
    sheet.fit_to_pages(max(1, math.ceil(count / PER_PAGE)), 1)
    sheet.repeat_columns(0)
    book, currency = writer.book, writer.currency
    sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    sheet.write_string(1, 0, f"One column per scenario; money in {currency}, tonnes in t.")
    sheet.write_string(3, 0, "Scenario", writer.header)
    for col, name in enumerate(rows["scenario"], start=1):
        sheet.write_string(3, col, safe_text(str(name))[0], writer.header)
    label = book.add_format({"bold": True, "valign": "top", "text_wrap": True, "bottom": 1})
    formats = {
        kind: book.add_format(
            {"num_format": fmt, "valign": "top", "text_wrap": kind == "text", "bottom": 1}
        )
        for kind, fmt in DASHBOARD_FORMATS.items()
    }
    row = 4
    for measure in measures:
        values = [measure.value(scenario) for _, scenario in rows.iterrows()]
        if all(_blank(value) for value in values):
            continue
        sheet.write_string(row, 0, measure.label, label)
        for col, value in enumerate(values, start=1):
            _cell(sheet, row, col, value, formats[measure.kind])
        wraps = [wrapped_lines(value, SCENARIO_WIDTH) for value in values]
        lines = max(wrapped_lines(measure.label, LABEL_WIDTH), *wraps)
        if lines > 1:
            sheet.set_row(row, 15 * min(lines, MOST_LINES))
        row += 1
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, max(count, 1), SCENARIO_WIDTH)
    return row


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _cell(sheet: Worksheet, row: int, col: int, value: object, fmt: object) -> None:
    """A number in the row's format, text as safe text (never a formula)."""
    if _blank(value):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, float(value), fmt)
    else:
        sheet.write_string(row, col, safe_text(str(value))[0], fmt)
