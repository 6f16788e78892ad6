"""The .xlsx container: file, zip and XML safety checks, and the cell-hazard scan.

Cell values are read by python-calamine (see `sheets.py`), which turns error
cells and formulas without a cached value into blanks. This module finds those
cells in the sheet XML, so that a blank never silently replaces a broken cell.
All XML parsed here goes through defusedxml, which refuses entity declarations.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from optimizer.problems import InputError, Problem, column_letter

try:  # the XML-attack guard is a hard requirement, not an optional extra
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring as safe_fromstring
    from defusedxml.ElementTree import iterparse as safe_iterparse
except ImportError as missing:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "reopt refuses to read workbooks without the 'defusedxml' package "
        "(it guards against XML entity attacks): pip install defusedxml"
    ) from missing

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Largest workbook file accepted (200 MiB)."""
MAX_UNZIPPED_BYTES = 2 * 1024 * 1024 * 1024
"""Largest total uncompressed size declared by the zip directory (2 GiB)."""
MAX_RATIO = 200
"""Largest compression ratio of one part above 10 MiB uncompressed (zip-bomb guard)."""
MAX_SHEET_CELLS = 5_000_000
"""Largest rectangle A1:<last cell with content> of one sheet, in cells (see `sheet_extent`).

The reader holds a sheet as a dense grid, so one value typed at XFD1048576 would ask for
17 billion cells (512 GiB); a sheet larger than this is refused before it is read."""

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
ERROR_TYPE = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
CELL_REF = re.compile(r"([A-Z]+)(\d+)")
ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(\s[^>]*?)?(/?)>")
REF_ATTR = re.compile(rb"\sr\s*=\s*[\"']([A-Z]*)(\d+)[\"']")


@dataclass(frozen=True)
class Container:
    """A workbook file that passed the container checks."""

    path: Path
    data: bytes
    sha256: str
    sheet_parts: dict[str, str]
    """Sheet name → zip member of its XML."""

    def cell_hazards(self, sheet: str) -> dict[tuple[int, int], tuple[str, str]]:
        """Cells calamine reads as blank although they are not: (row, col) → (why, shown)."""
        part = self.sheet_parts.get(sheet)
        if part is None:
            return {}
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            xml = archive.read(part)
        if not FORMULA_TAG.search(xml) and not ERROR_TYPE.search(xml):
            return {}
        return _scan_cells(xml)


@dataclass(frozen=True)
class Extent:
    """How far a sheet's cells with content reach: 0-based last row and column."""

    rows: int
    columns: int
    far_row: int
    """0-based row of the cell that reaches furthest (for the message)."""
    far_column: int

    @property
    def cells(self) -> int:
        """Size of the dense grid A1:<last row, last column>."""
        return self.rows * self.columns


def sheet_extent(xml: bytes) -> Extent:
    """The grid a dense reader would allocate for this sheet XML, found without allocating.

    Only `<c>` elements that are not self-closing can hold content (a styled empty cell
    `<c r="XFD1048576" s="1"/>` and the `<dimension>` tag are ignored, as the reader
    ignores them). A row or cell without an `r` address follows the previous one, so the
    bound is the largest address plus the number of unaddressed elements after it.
    """
    row = col = -1
    rows = columns = 0
    far = (0, 0)
    for match in ROW_OR_CELL.finditer(xml):
        ref = REF_ATTR.search(match[2] or b"")
        if match[1] == b"row":
            row = int(ref[2]) - 1 if ref else row + 1
            col = -1
            continue
        if ref and ref[1]:
            col, row = _column_index(ref[1].decode()), int(ref[2]) - 1
        else:
            col += 1
        if match[3]:
            continue
        if row >= rows or col >= columns:
            far = (row, col)
        rows, columns = max(rows, row + 1), max(columns, col + 1)
    return Extent(rows, columns, *far)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _scan_cells(xml: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """Error cells and formulas with no cached value, keyed by 0-based (row, column)."""
    hazards: dict[tuple[int, int], tuple[str, str]] = {}
    row, col = -1, -1
    for event, elem in safe_iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True):
        name = _local(elem.tag)
        if event == "start":
            if name == "row":
                ref = elem.get("r")
                row = int(ref) - 1 if ref else row + 1
                col = -1
            elif name == "c":
                match = CELL_REF.fullmatch(elem.get("r") or "")
                if match:
                    col, row = _column_index(match[1]), int(match[2]) - 1
                else:
                    col += 1
            continue
        if name == "c":
            children = {_local(child.tag): child for child in elem}
            cached = children.get("v")
            kind = elem.get("t", "n")
            formula = children.get("f")
            if kind == "e":
                error = (cached.text or "").strip() if cached is not None else "#ERROR"
                hazards[(row, col)] = ("is an Excel error value: fix the formula or value", error)
            elif formula is not None and (
                cached is None or (not (cached.text or "") and kind not in ("str", "inlineStr"))
            ):
                hazards[(row, col)] = (
                    "is a formula with no saved result: open the file in Excel and save it",
                    "=" + (formula.text or ""),
                )
            elem.clear()
        elif name == "row":
            elem.clear()
    return hazards


def _refuse(path: Path, message: str) -> InputError:
    return InputError(str(path), [Problem(message)])


def _check_path(path: Path) -> None:
    if path.name.startswith("~$"):
        raise _refuse(
            path,
            "is Excel's lock file for an open workbook, not a workbook: "
            f"use {path.name[2:]!r} instead",
        )
    if not path.exists():
        raise _refuse(path, "does not exist")
    if path.is_dir():
        raise _refuse(path, "is a folder, expected an .xlsx workbook file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _refuse(
            path,
            f"is {size / 2**20:.0f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB limit",
        )
    if size == 0:
        raise _refuse(path, "is empty (0 bytes), expected an .xlsx workbook")


def _check_magic(path: Path, data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _refuse(
                path,
                "is password-protected: remove the password in Excel "
                "(File > Info > Protect Workbook) and save again",
            )
        raise _refuse(
            path,
            "is an old Excel 97-2003 (.xls) workbook: open it in Excel and "
            "save it as .xlsx (Excel Workbook)",
        )
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(path, "is not an Excel .xlsx workbook (it is not a zip package)")


def _check_members(path: Path, archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "xl/workbook.bin" in names:
        raise _refuse(path, "is a binary workbook (.xlsb): save it as .xlsx")
    if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
        raise _refuse(path, "is an OpenDocument spreadsheet (.ods): save it as .xlsx")
    if "xl/workbook.xml" not in names:
        raise _refuse(path, "is a zip file but not an Excel workbook (no xl/workbook.xml)")
    if any(info.flag_bits & 0x1 for info in infos):
        raise _refuse(path, "has encrypted zip members: save it without a password")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNZIPPED_BYTES:
        raise _refuse(
            path,
            f"would unpack to {declared / 2**20:.0f} MiB, more than the "
            f"{MAX_UNZIPPED_BYTES // 2**20} MiB limit (refused before unpacking: "
            "possible zip bomb)",
        )
    for info in infos:
        if info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(
                path,
                f"part {info.filename} would unpack {info.file_size / 2**20:.0f} MiB from "
                f"{info.compress_size / 2**10:.0f} KiB, a ratio above {MAX_RATIO}:1 "
                "(refused before unpacking: possible zip bomb)",
            )


def _check_xml_prologs(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse any XML part that declares a DTD or entities (billion laughs, XXE)."""
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as stream:
            try:
                next(safe_iterparse(stream, events=("start",), forbid_dtd=True), None)
            except DefusedXmlException:
                raise _refuse(
                    path,
                    f"part {info.filename} declares an XML DTD or entities, which reopt "
                    "refuses (a known XML attack); re-save the file in Excel",
                ) from None
            except SyntaxError:
                raise _refuse(
                    path, f"part {info.filename} is not well-formed XML: the file is corrupt"
                ) from None


def _check_extents(path: Path, archive: zipfile.ZipFile, parts: dict[str, str]) -> None:
    """Refuse a sheet whose cells reach so far that reading it would exhaust memory."""
    names = set(archive.namelist())
    problems = []
    for sheet, part in parts.items():
        if part not in names:
            continue
        extent = sheet_extent(archive.read(part))
        if extent.cells <= MAX_SHEET_CELLS:
            continue
        span = f"A1:{column_letter(extent.columns - 1)}{extent.rows}"
        problems.append(
            Problem(
                f"has a value far outside the table: the sheet spans {span} "
                f"({extent.cells:,} cells), more than the {MAX_SHEET_CELLS:,} cells reopt "
                "reads; delete the stray cell (or the rows and columns beyond the table)",
                sheet=sheet,
                row=extent.far_row + 1,
                column_index=extent.far_column,
            )
        )
    if problems:
        raise InputError(str(path), problems)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    workbook = safe_fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
    try:
        rels_xml = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in safe_fromstring(rels_xml, forbid_dtd=True)
    }
    parts = {}
    for elem in workbook.iter():
        if _local(elem.tag) != "sheet":
            continue
        target = targets.get(elem.get(f"{{{NS_REL}}}id"), "")
        if not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts[elem.get("name", "")] = posixpath.normpath(member)
    return parts


def open_container(path: Path) -> Container:
    """Read and check a workbook file; raise `InputError` naming what is wrong with it."""
    _check_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _refuse(path, f"cannot be read: {error.strerror or error}") from None
    _check_magic(path, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(path, archive)
            _check_xml_prologs(path, archive)
            parts = _sheet_parts(archive)
            _check_extents(path, archive, parts)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise _refuse(
            path, "is corrupt or truncated (the zip package cannot be read): save it again"
        ) from None
    except (SyntaxError, DefusedXmlException):
        raise _refuse(
            path, "has a corrupt workbook part (xl/workbook.xml): save it again"
        ) from None
    return Container(path, data, hashlib.sha256(data).hexdigest(), parts)
