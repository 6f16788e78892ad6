"""Test workbooks written from text that reads like the spreadsheet it becomes.

    [Suppliers]
    supplier | material | country | capacity | unit_cost
    CN       | Tb oxide | China   | 100      | 200000

Cells that look like numbers become numbers; "quoted" cells stay text; empty cells
stay blank. `write_book` writes the sheets with xlsxwriter.
"""

from __future__ import annotations

import re
from pathlib import Path

import xlsxwriter

Cell = object
Sheets = dict[str, list[list[Cell]]]
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _cell(text: str) -> Cell:
    text = text.strip()
    if not text:
        return None
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if NUMBER.fullmatch(text):
        return float(text)
    return text


def parse_sheets(text: str) -> Sheets:
    """Sheets from `[Name]` headings followed by pipe-separated rows."""
    sheets: Sheets = {}
    current: list[list[Cell]] | None = None
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        heading = re.fullmatch(r"\[(.+)\]", line)
        if heading:
            current = sheets.setdefault(heading[1], [])
        elif current is not None:
            current.append([_cell(part) for part in line.split("|")])
    return sheets


def write_book(path: Path, sheets: Sheets) -> Path:
    """Write sheets (first row = header) as an .xlsx file; return the path."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write(r, c, value)
    book.close()
    return path


def merge(base: str, *changes: str) -> Sheets:
    """`base` sheets with whole sheets replaced or added by later texts."""
    sheets = parse_sheets(base)
    for change in changes:
        sheets.update(parse_sheets(change))
    return sheets
