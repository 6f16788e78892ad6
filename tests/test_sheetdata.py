"""Spliced data rows read back exactly as written, with styles, by openpyxl and calamine."""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import python_calamine
import xlsxwriter

from optimizer.report.writer import WORKBOOK_OPTIONS, Writer

TEXTS = [
    "plain",
    "a & b < c > d",
    "quote \" and apostrophe '",
    "  padded  ",
    "_x0041_ stays literal",
    "=SUM(A1:A2)",
    "+1",
    "-2",
    "@cmd",
    "Ünïcödé — ✓",
    None,
]


def write(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "bulk.xlsx"
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    writer = Writer(book)
    writer.frame("Data", frame)
    writer.close(path)
    return path


def test_values_styles_and_range_survive_the_splice(tmp_path):
    numbers = [1.0, 0.125, 1e15, -3.5, 12345.678, float("nan"), math.inf, 7, 0.0, 2.5, None]
    frame = pd.DataFrame({"supplier": TEXTS, "quantity": numbers, "share": [0.5] * len(TEXTS)})
    path = write(tmp_path, frame)
    sheet = openpyxl.load_workbook(path)["Data"]
    assert sheet.dimensions == f"A1:C{len(TEXTS) + 1}"
    assert sheet.auto_filter.ref == f"A1:C{len(TEXTS) + 1}"
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2))
    # openpyxl does not decode Excel's _xHHHH_ escape in inline strings; calamine (below)
    # and Excel do, so that one value is checked there.
    literal = TEXTS.index("_x0041_ stays literal")
    assert rows[literal][0].value == "_x005F_x0041_ stays literal"
    assert [row[0].value for i, row in enumerate(rows) if i != literal] == [
        text for i, text in enumerate(TEXTS) if i != literal
    ]
    for row, text in zip(rows, TEXTS, strict=True):
        assert row[0].quotePrefix == (text is not None and text[:1] in "=+-@")
    expected = [1.0, 0.125, 1e15, -3.5, 12345.678, None, None, 7, 0.0, 2.5, None]
    assert [row[1].value for row in rows] == expected
    assert {row[1].number_format for row in rows if row[1].value is not None} == {"#,##0.000"}
    assert rows[0][2].number_format == "0.0%"
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("Data").to_python()
    assert grid[0] == ["supplier", "quantity", "share"]
    assert [row[0] for row in grid[1:]] == [text if text is not None else "" for text in TEXTS]


def test_empty_and_large_frames(tmp_path):
    empty = write(tmp_path, pd.DataFrame({"supplier": [], "quantity": []}))
    assert [tuple(r) for r in openpyxl.load_workbook(empty)["Data"].values] == [
        ("supplier", "quantity")
    ]
    big = pd.DataFrame(
        {"supplier": [f"s{i % 97}" for i in range(12_345)], "quantity": range(12_345)}
    )
    path = write(tmp_path, big)
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("Data").to_python()
    assert len(grid) == 12_346
    assert grid[-1] == ["s25", 12344.0]
