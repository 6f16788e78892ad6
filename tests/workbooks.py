"""Test workbooks written from text that reads like the spreadsheet it becomes.

    [Suppliers]
    supplier | material | country | capacity | unit_cost
    CN       | Tb oxide | China   | 100      | 200000

Cells that look like numbers become numbers; "quoted" cells stay text; empty cells
stay blank. `write_book` writes the sheets with xlsxwriter; `repack` and `strict` change
the written package (its zip members, or its namespaces to Strict Open XML's).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

Cell = object
Sheets = dict[str, list[list[Cell]]]
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


# A valid workbook that uses every sheet, for error-path and fuzz tests.
RICH = """
[Settings]
key         | value
risk_weight | 1
scenario    | base
[Periods]
period  | budget
2027-01 | 5000
2027-02 |
[Materials]
material   | elements | shortage_penalty | safety_penalty | disruption_cost
Dy oxide   | Dy       | 1000             | 10             | 50
NdPr oxide | Nd, Pr   |                  |                |
[Countries]
country  | tariff | covered | max_share
China    | 0.2    | yes     | 0.8
Malaysia |        | no      |
US       |        |         |
[Sites]
site  | end_use
Plant | commercial
Base  | defense
[Suppliers]
supplier | material   | country  | refined_in | capacity | unit_cost | lead_time | available_from
CN       | Dy oxide   | China    |            | 20       | 100       | 0         |
CN       | NdPr oxide | China    |            | 50       | 30        | 1         |
MY       | Dy oxide   | Malaysia | China      | 5        | 150       | 0         | 2027-02
US1      | NdPr oxide | US       |            | 10       | 60        | 0         |
[Lanes]
supplier | material | site | freight | allowed
CN       |          | Base |         | no
US1      |          | Base | 5       | yes
[Demand]
site  | material   | period  | quantity
Plant | Dy oxide   | 2027-01 | 4
Plant | Dy oxide   | 2027-02 | 4
Base  | NdPr oxide | 2027-02 | 3
Plant | NdPr oxide | 2027-01 | 8
[Stock]
site  | material | initial | min | max | target_end
Plant | Dy oxide | 2       | 1   | 50  | 1
[Pipeline]
site  | material   | period  | quantity
Base  | NdPr oxide | 2027-01 | 1
[Scenarios]
scenario | parent | demand_factor | description
ban      | base   | 1.1           | Dy ban
[Controls]
scenario | country | item | end_use | approval | delay_days | capacity_factor
base     | China   | Dy   | *       | 0.5      | 45         |
ban      | China   | Dy   | *       | 0        |            |
base     | China   | *    | defense | 0        |            |
"""


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


@dataclass(frozen=True)
class Formula:
    """An Excel formula cell; `cached` is its saved result ('' = none, '#REF!' = error)."""

    text: str
    cached: object = ""


def write_book(
    path: Path, sheets: Sheets, date_1904: bool = False, constant_memory: bool = False
) -> Path:
    """Write sheets (first row = header) as an .xlsx file; return the path.

    Strings are always text, dates and times get a date format, `Formula` cells are
    real formulas with the given saved result; `date_1904` uses the Mac date system;
    `constant_memory` streams rows (for big benchmark workbooks).
    """
    options = {"strings_to_numbers": False, "date_1904": date_1904}
    book = xlsxwriter.Workbook(str(path), {**options, "constant_memory": constant_memory})
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, dt.date | dt.time):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, Formula):
                    sheet.write_formula(r, c, value.text, None, value.cached)
                else:
                    sheet.write_number(r, c, value)
    book.close()
    return path


def merge(base: str, *changes: str) -> Sheets:
    """`base` sheets with whole sheets replaced or added by later texts."""
    sheets = parse_sheets(base)
    for change in changes:
        sheets.update(parse_sheets(change))
    return sheets


Members = dict[str, bytes]
STRICT_NAMESPACES = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
}
"""Transitional → Strict Open XML (ISO/IEC 29500 Strict); the package and relationship
namespaces (content types, `_rels`) are the same in both."""


def repack(data: bytes, edit: Callable[[Members], Members]) -> bytes:
    """The zip package `data` with its members (name → bytes, in order) as `edit` returns them."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in edit(members).items():
            target.writestr(name, content)
    return buffer.getvalue()


def to_strict(members: Members) -> Members:
    """Every XML part rewritten from the transitional namespaces to the Strict ones (what
    Excel's "Strict Open XML Spreadsheet" writes; relationship types included)."""
    changed = {}
    for name, content in members.items():
        if name.endswith((".xml", ".rels")):
            for transitional, strict_namespace in STRICT_NAMESPACES.items():
                content = content.replace(transitional, strict_namespace)
        changed[name] = content
    return changed


def strict(data: bytes) -> bytes:
    """A transitional workbook's bytes as the same workbook in Strict Open XML."""
    return repack(data, to_strict)


def sheet_member(sheets: Sheets, name: str) -> str:
    """The zip member xlsxwriter writes sheet `name` of `sheets` to."""
    return f"xl/worksheets/sheet{list(sheets).index(name) + 1}.xml"
