"""The .xlsx container: file, zip and XML safety checks, and the cell-hazard scan.

Cell values are read by python-calamine (see `sheets.py`), which turns error
cells and formulas without a cached value into blanks, and reads a shared-string cell
whose index is not a number as the first shared string. This module finds those cells
in the sheet XML, so that a blank or a wrong value never silently replaces a broken
cell, and finds the rows and columns hidden in Excel (`Container.hidden`).

Every guard works on what calamine reads, whatever the file's dialect: element and
attribute names are matched by their local name (Strict Open XML, written by Excel's
"Strict Open XML Spreadsheet" and other tools, uses other namespaces than the usual
transitional files, and some writers add prefixes), sheet parts are found as calamine
finds them (relationship targets relative to `xl/` or absolute, zip member names
compared ignoring case and with `\\` as `/`), and cell addresses in any case. A sheet
whose part cannot be found is refused rather than read unguarded.
All XML parsed here goes through defusedxml, which refuses entity declarations.
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.problems import InputError, Problem, column_letter

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

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
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
ERROR_TYPE = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
ATTRIBUTES = rb"""((?:[^>"']+|"[^"]*"|'[^']*')*)"""
"""The attributes of a tag, up to its `>` (a `>` inside a quoted value included)."""
SHARED_NOT_INDEX = re.compile(
    rb"\st\s*=\s*[\"']s[\"']" + ATTRIBUTES + rb">\s*<(?:[A-Za-z_][\w.-]*:)?v\s*(?:/>|>(?!\d+<))"
)
"""A shared-string cell whose `<v>` is not a plain index (a pre-filter for `_scan_cells`)."""
HIDDEN_ATTR = re.compile(rb"\shidden\s*=\s*[\"'](?:1|true)[\"']")
CELL_REF = re.compile(r"([A-Za-z]+)(\d+)")
TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|col)(?=[\s/>])" + ATTRIBUTES + rb">")
QUOTED = rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')"""
SKIPPED = rb"""\s+(?!r\s*=)[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*')"""
REF_ATTR = re.compile(rb"(?:" + SKIPPED + rb")*\s+r" + QUOTED)
"""The `r` attribute of a tag's attributes, found by stepping over the attributes before
it (so that a value quoted inside another attribute is never taken for it)."""
ATTR = re.compile(rb"([^\s=]+)" + QUOTED)
ADDRESS = re.compile(rb"([A-Za-z]*)(\d+)")


@dataclass(frozen=True)
class Container:
    """A workbook file that passed the container checks."""

    path: Path
    data: bytes
    sha256: str
    sheet_parts: dict[str, str]
    """Sheet name → zip member of its XML."""

    def cell_hazards(self, sheet: str) -> dict[tuple[int, int], tuple[str, str]]:
        """Cells calamine reads as blank, or as another value, although they are broken:
        (row, col) → (why, shown)."""
        part = self.sheet_parts.get(sheet)
        if part is None:
            return {}
        xml = self._part(part)
        if not any(pattern.search(xml) for pattern in (FORMULA_TAG, ERROR_TYPE, SHARED_NOT_INDEX)):
            return {}
        return _scan_cells(xml)

    def hidden(self, sheet: str) -> tuple[set[int], set[int]]:
        """The 0-based rows and columns of `sheet` that Excel hides (by Hide or a filter)."""
        part = self.sheet_parts.get(sheet)
        if part is None:
            return set(), set()
        xml = self._part(part)
        if not HIDDEN_ATTR.search(xml):
            return set(), set()
        return _hidden(xml)

    def _part(self, member: str) -> bytes:
        """The bytes of one zip member."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return archive.read(member)


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
    for match in TAG.finditer(xml):
        name, attributes = match[1], match[2]
        if name == b"col":
            continue
        letters, number = _address(attributes)
        if name == b"row":
            row = number - 1 if number else row + 1
            col = -1
            continue
        if letters:
            col, row = _letters_index(letters), number - 1
        else:
            col += 1
        if attributes.endswith(b"/"):
            continue
        if row >= rows or col >= columns:
            far = (row, col)
        rows, columns = max(rows, row + 1), max(columns, col + 1)
    return Extent(rows, columns, *far)


def _address(attributes: bytes) -> tuple[bytes, int]:
    """The column letters and row number of a tag's `r` attribute (`B3`, `b3`, or a
    row's `3`); (b"", 0) without a readable one."""
    if attributes.startswith(b' r="'):  # most writers put `r` first: no other to step over
        value = attributes[4 : attributes.find(b'"', 4)]
    else:
        found = REF_ATTR.match(attributes)
        if found is None:
            return b"", 0
        value = found[1] if found[1] is not None else found[2]
    address = ADDRESS.fullmatch(value)
    return (address[1], int(address[2])) if address else (b"", 0)


@functools.lru_cache(maxsize=4096)
def _letters_index(letters: bytes) -> int:
    """`_column_index` of column letters as bytes (a sheet repeats a few letters often)."""
    return _column_index(letters.decode())


def _hidden(xml: bytes) -> tuple[set[int], set[int]]:
    """0-based rows and columns with `hidden="1"` (a `<col>` spans `min`..`max`, 1-based)."""
    rows: set[int] = set()
    columns: set[int] = set()
    row = -1
    for match in TAG.finditer(xml):
        name, attributes = match[1], match[2]
        values = {found[1]: found[2] or found[3] or b"" for found in ATTR.finditer(attributes)}
        hidden = values.get(b"hidden", b"").strip() in (b"1", b"true")
        if name == b"row":
            number = _address(attributes)[1]
            row = number - 1 if number else row + 1
            if hidden:
                rows.add(row)
        elif name == b"col" and hidden:
            low = _number(values.get(b"min"))
            high = _number(values.get(b"max")) or low
            if low:
                columns.update(range(low - 1, min(high, 16_384)))
    return rows, columns


def _number(value: bytes | None) -> int:
    """A whole-number attribute value, 0 when absent or not a number."""
    return int(value) if value is not None and value.strip().isdigit() else 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def _scan_cells(xml: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """Error cells, formulas with no cached value and shared-string cells whose index is
    not a number, keyed by 0-based (row, column)."""
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
            elif kind == "s" and cached is not None and not re.fullmatch(r"\d+", cached.text or ""):
                hazards[(row, col)] = (
                    "refers to no shared string (the file is damaged): retype the value in "
                    "Excel and save it",
                    "<v>" + (cached.text or "") + "</v>",
                )
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


def _check_xml_prologs(path: Path, archive: zipfile.ZipFile, members: Iterable[str]) -> None:
    """Refuse any of these XML parts that declares a DTD or entities (billion laughs, XXE)."""
    for member in members:
        with archive.open(member) as stream:
            try:
                next(safe_iterparse(stream, events=("start",), forbid_dtd=True), None)
            except DefusedXmlException:
                raise _refuse(
                    path,
                    f"part {member} declares an XML DTD or entities, which reopt "
                    "refuses (a known XML attack); re-save the file in Excel",
                ) from None
            except SyntaxError:
                raise _refuse(
                    path, f"part {member} is not well-formed XML: the file is corrupt"
                ) from None


def _check_extents(path: Path, archive: zipfile.ZipFile, parts: dict[str, str]) -> None:
    """Refuse a sheet whose cells reach so far that reading it would exhaust memory."""
    problems = []
    for sheet, part in parts.items():
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


def _members(path: Path, archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip member names as calamine looks them up (ignoring case, `\\` read as `/`) →
    the member; two members that look up alike are refused (which one would be read?)."""
    found: dict[str, str] = {}
    for name in archive.namelist():
        key = name.replace("\\", "/").lower()
        if key in found:
            raise _refuse(
                path,
                f"has two parts named {found[key]} and {name} (the same name, or names that "
                "differ only in case or slashes): the file is damaged; save it again in Excel",
            )
        found[key] = name
    return found


def _member(members: dict[str, str], names: set[str], path: str) -> str | None:
    """The member calamine reads for `path`: found ignoring case, else by its exact name."""
    return members.get(path.lower()) or (path if path in names else None)


def _attribute(elem: Element, local: str) -> str | None:
    """The value of the attribute named `local` in any namespace (the last one given), as
    calamine takes `r:id` whatever its namespace (transitional or Strict)."""
    found = None
    for name, value in elem.attrib.items():
        if _local(name) == local:
            found = value
    return found


def _check_document(path: Path, archive: zipfile.ZipFile, members: dict[str, str]) -> None:
    """Refuse a package whose main part is not xl/workbook.xml (the part that is guarded)."""
    rels = _member(members, set(archive.namelist()), "_rels/.rels")
    if rels is None:
        return
    for rel in safe_fromstring(archive.read(rels), forbid_dtd=True).iter():
        kind = rel.get("Type", "")
        if _local(rel.tag) != "Relationship" or not kind.endswith("/relationships/officeDocument"):
            continue
        target = posixpath.normpath(rel.get("Target", "").lstrip("/"))
        if target.lower() != WORKBOOK:
            raise _refuse(
                path,
                f"keeps its workbook in {target}, not in {WORKBOOK}: open it in Excel and "
                "save it as .xlsx",
            )


def _sheet_parts(path: Path, archive: zipfile.ZipFile, members: dict[str, str]) -> dict[str, str]:
    """Sheet name → the zip member calamine reads for it; a sheet whose part cannot be
    found is refused, so that no sheet is read without the guards."""
    names = set(archive.namelist())
    workbook = safe_fromstring(archive.read(WORKBOOK), forbid_dtd=True)
    rels = _member(members, names, WORKBOOK_RELS)
    relations = safe_fromstring(archive.read(rels), forbid_dtd=True) if rels else None
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in (relations.iter() if relations is not None else ())
        if _local(rel.tag) == "Relationship"
    }
    parts, problems = {}, []
    for elem in workbook.iter():
        if _local(elem.tag) != "sheet":
            continue
        name = elem.get("name", "")
        target = targets.get(_attribute(elem, "id"), "")
        member = target[1:] if target.startswith("/") else f"xl/{target}"
        found = _member(members, names, member) if target else None
        if found is None:
            problems.append(
                Problem(
                    f"the part that holds this sheet ({target or 'no relationship'}) is "
                    "missing from the file: it is damaged; save it again in Excel",
                    sheet=name,
                )
            )
            continue
        parts[name] = found
    if problems:
        raise InputError(str(path), problems)
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
            members = _members(path, archive)
            xml = [name for name in members.values() if name.lower().endswith((".xml", ".rels"))]
            _check_xml_prologs(path, archive, xml)
            _check_document(path, archive, members)
            parts = _sheet_parts(path, archive, members)
            _check_xml_prologs(path, archive, set(parts.values()) - set(xml))
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
