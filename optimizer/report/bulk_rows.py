"""Bulk data rows for big sheets, spliced into the workbook xlsxwriter wrote.

xlsxwriter spends about 5 µs per cell in Python, so a 200,000-row plan (2.8M cells)
takes over 20 s. For data sheets, xlsxwriter still writes everything but the data
rows: the header, column widths and formats, the frozen pane, the filter (over the
full range), and one formatted blank row that registers every style the rows use.
After the workbook is closed, the data rows are generated here as SpreadsheetML and
streamed into that sheet's XML in place of the blank row, using the style indices
xlsxwriter assigned. Text is written as inline strings, escaped for XML and for
Excel's `_xHHHH_` notation; text that Excel would turn into a formula when edited
carries the quote-prefix style.
"""

from __future__ import annotations

import math
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

CHUNK_ROWS = 5_000
EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


@dataclass(frozen=True)
class DataColumn:
    """One column of a bulk sheet: its values and how they are written."""

    values: list
    number_format: Format | None
    """the format of numbers (None: the column holds text)"""
    text: Callable[[object], tuple[str, bool]]
    """text of a value, and whether it needs the quote prefix"""


@dataclass(frozen=True)
class BulkSheet:
    """A sheet whose rows from Excel row 2 on are spliced in after closing."""

    sheet: Worksheet
    columns: list[DataColumn]
    rows: int
    quoted: Format


def register(sheet: Worksheet, columns: list[DataColumn], quoted: Format) -> None:
    """Write the formatted blank row that makes xlsxwriter assign each style an index.

    The quote-prefix style goes on a spare cell past the last column; the whole row
    is replaced by the spliced data.
    """
    for index, column in enumerate(columns):
        if column.number_format is not None:
            sheet.write_blank(1, index, None, column.number_format)
    sheet.write_blank(1, len(columns), None, quoted)


def _text_cell(reference: str, text: str, style: str) -> str:
    body = EXCEL_ESCAPE.sub(r"_x005F_\1", escape(text, quote=False))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{body}</t></is></c>'


def _style(fmt: Format) -> str:
    """The style attribute of a format xlsxwriter indexed when the workbook closed."""
    if fmt.xf_index is None:
        raise RuntimeError("a bulk-row format has no style index: formats must be distinct")
    return f' s="{fmt.xf_index}"'


def _rows(bulk: BulkSheet) -> Iterator[str]:
    """The SpreadsheetML of the data rows, in chunks."""
    letters = [xl_col_to_name(index) for index in range(len(bulk.columns))]
    quoted = _style(bulk.quoted)
    plans = []
    for column in bulk.columns:
        style = "" if column.number_format is None else _style(column.number_format)
        plans.append((column.values, column.number_format is not None, style, column.text))
    texts: dict[object, str] = {}
    chunk: list[str] = []
    for row in range(bulk.rows):
        number = str(row + 2)
        cells = []
        for letter, (values, numeric, style, to_text) in zip(letters, plans, strict=True):
            value = values[row]
            if value is None or value != value:
                continue
            if numeric and value.__class__ is not str and value.__class__ is not bool:
                if value not in (math.inf, -math.inf):
                    cells.append(f'<c r="{letter}{number}"{style}><v>{value:.16G}</v></c>')
                continue
            key = (value.__class__, value)
            cell = texts.get(key)
            if cell is None:
                text, needs_quote = to_text(value)
                cell = _text_cell("{ref}", text, quoted if needs_quote else "")
                texts[key] = cell
            cells.append(cell.replace("{ref}", f"{letter}{number}", 1))
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) == CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _member(bulk: BulkSheet) -> str:
    return f"xl/worksheets/sheet{bulk.sheet.index + 1}.xml"


def _spliced(xml: str, bulk: BulkSheet) -> tuple[str, str]:
    """The sheet XML before and after the data rows, the blank row removed."""
    header_end = xml.index("</row>") + len("</row>")
    data_end = xml.index("</sheetData>")
    last = f"{xl_col_to_name(len(bulk.columns) - 1)}{bulk.rows + 1}"
    dimension = f'<dimension ref="A1:{last}"/>'
    head = re.sub(r'<dimension ref="[^"]*"/>', dimension, xml[:header_end], count=1)
    return head, xml[data_end:]


def splice(path: Path, bulks: list[BulkSheet]) -> None:
    """Rewrite the closed workbook at `path` with the data rows of every bulk sheet."""
    if not bulks:
        return
    by_member = {_member(bulk): bulk for bulk in bulks}
    original = path.with_name(path.name + ".orig")
    shutil.move(path, original)
    try:
        with (
            zipfile.ZipFile(original) as source,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
        ):
            for info in source.infolist():
                content = source.read(info)
                bulk = by_member.get(info.filename)
                if bulk is None:
                    target.writestr(info, content)
                    continue
                head, tail = _spliced(content.decode("utf-8"), bulk)
                with target.open(info.filename, "w", force_zip64=True) as stream:
                    stream.write(head.encode("utf-8"))
                    for chunk in _rows(bulk):
                        stream.write(chunk.encode("utf-8"))
                    stream.write(tail.encode("utf-8"))
    finally:
        original.unlink(missing_ok=True)
