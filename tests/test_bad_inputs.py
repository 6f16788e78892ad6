"""A corpus of broken workbooks: each is rejected with exit 2 and a located message.

Every case names the fragments its message must contain (file, sheet!cell, column,
value, the rule) and checks that nothing is written and the input is untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import optimizer.workbook.container
from optimizer.cli import cli
from tests.workbooks import (
    RICH,
    Formula,
    Members,
    Sheets,
    parse_sheets,
    repack,
    sheet_member,
    to_strict,
    write_book,
)


def rich() -> Sheets:
    return {name: [list(row) for row in rows] for name, rows in parse_sheets(RICH).items()}


def set_cell(sheets: Sheets, sheet: str, row: int, column: str, value: object) -> Sheets:
    """Set the cell of `column` in Excel row `row` of `sheet` (adding the column if new)."""
    rows = sheets[sheet]
    header = rows[0]
    if column not in header:
        header.append(column)
    index = header.index(column)
    rows[row - 1] += [None] * (index + 1 - len(rows[row - 1]))
    rows[row - 1][index] = value
    return sheets


def add_row(sheets: Sheets, sheet: str, **values: object) -> Sheets:
    header = sheets[sheet][0]
    sheets[sheet].append([values.get(column) for column in header])
    return sheets


@dataclass(frozen=True)
class Case:
    """A broken workbook and the fragments its error message must contain."""

    id: str
    build: Callable[[Path], Path]
    expect: tuple[str, ...]


def edited(change: Callable[[Sheets], Sheets]) -> Callable[[Path], Path]:
    return lambda folder: write_book(folder / "broken.xlsx", change(rich()))


def cell(sheet: str, row: int, column: str, value: object) -> Callable[[Path], Path]:
    return edited(lambda s: set_cell(s, sheet, row, column, value))


def raw_file(content: bytes, name: str = "broken.xlsx") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return build


def valid_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_book(Path(folder) / "valid.xlsx", parse_sheets(RICH)).read_bytes()


def rezip(replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """The valid workbook with some zip members replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(valid_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def with_openpyxl(edit: Callable[[openpyxl.Workbook], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = write_book(folder / "broken.xlsx", rich())
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)
        return path

    return build


def drop_sheet(name: str) -> Callable[[Sheets], Sheets]:
    def change(sheets: Sheets) -> Sheets:
        del sheets[name]
        return sheets

    return change


def drop_column(sheet: str, column: str) -> Callable[[Sheets], Sheets]:
    def change(sheets: Sheets) -> Sheets:
        index = sheets[sheet][0].index(column)
        sheets[sheet] = [row[:index] + row[index + 1 :] for row in sheets[sheet]]
        return sheets

    return change


def packed(
    edit: Callable[[Members], Members], change: Callable[[Sheets], Sheets] | None = None
) -> Callable[[Path], Path]:
    """The rich workbook (its sheets changed by `change`), written, then its zip members
    changed by `edit`: what other spreadsheet clients and zip tools write."""

    def build(folder: Path) -> Path:
        path = write_book(folder / "broken.xlsx", change(rich()) if change else rich())
        path.write_bytes(repack(path.read_bytes(), edit))
        return path

    return build


DEMAND_PART = sheet_member(parse_sheets(RICH), "Demand")
RELS = "xl/_rels/workbook.xml.rels"


def na_in_demand(sheets: Sheets) -> Sheets:
    return set_cell(sheets, "Demand", 4, "site", Formula("=NA()", "#N/A"))


def demand_target(target: bytes) -> Callable[[Members], Members]:
    """The workbook's relationship to the Demand sheet pointing at `target`."""
    old = b'Target="' + DEMAND_PART.removeprefix("xl/").encode() + b'"'

    def edit(members: Members) -> Members:
        assert old in members[RELS]
        return {**members, RELS: members[RELS].replace(old, b'Target="' + target + b'"')}

    return edit


def renamed(old: str, new: str) -> Callable[[Members], Members]:
    return lambda members: {new if name == old else name: data for name, data in members.items()}


def shared_string_index(members: Members) -> Members:
    """Demand!A4's shared-string index replaced by text (calamine reads string 0)."""
    xml, found = re.subn(rb'(<c r="A4" t="s"><v>)\d+(</v>)', rb"\1x\2", members[DEMAND_PART])
    assert found == 1
    return {**members, DEMAND_PART: xml}


def workbook_elsewhere(members: Members) -> Members:
    rels = members["_rels/.rels"].replace(b'Target="xl/workbook.xml"', b'Target="xl/other.xml"')
    return {**members, "_rels/.rels": rels, "xl/other.xml": members["xl/workbook.xml"]}


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheets/><x>&lol2;</x></workbook>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1">'
    b"<si><t>&xxe;</t></si></sst>"
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

CASES = [
    # -- file hazards ---------------------------------------------------------------
    Case(
        "missing-file", lambda folder: folder / "nowhere.xlsx", ("nowhere.xlsx", "does not exist")
    ),
    Case("a-directory", lambda folder: folder, ("is a folder",)),
    Case("csv-text", raw_file(b"site,material\nPlant,Dy\n"), ("not an Excel .xlsx workbook",)),
    Case("empty-file", raw_file(b""), ("is empty",)),
    Case("truncated", lambda f: raw_file(valid_bytes()[:3000])(f), ("corrupt or truncated",)),
    Case(
        "corrupt-member",
        lambda f: raw_file(
            valid_bytes().replace(b"worksheets/sheet2.xml", b"worksheets/sheetX.xml", 1)
        )(f),
        ("corrupt",),
    ),
    Case("old-xls", raw_file(OLE, "old.xls"), ("Excel 97-2003", ".xlsx")),
    Case(
        "password-protected",
        raw_file(OLE + "EncryptedPackage".encode("utf-16-le") + bytes(64)),
        ("password-protected",),
    ),
    Case("excel-lock-file", raw_file(b"\x00" * 165, "~$plan.xlsx"), ("lock file", "plan.xlsx")),
    Case("zip-not-workbook", lambda f: raw_file(_zip({"a.txt": b"x"}))(f), ("no xl/workbook.xml",)),
    Case(
        "opendocument",
        lambda f: raw_file(_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}))(
            f
        ),
        ("OpenDocument",),
    ),
    Case(
        "billion-laughs",
        lambda f: raw_file(rezip({"xl/workbook.xml": BILLION_LAUGHS}))(f),
        ("xl/workbook.xml", "DTD or entities"),
    ),
    Case(
        "external-entity",
        lambda f: raw_file(rezip({"xl/sharedStrings.xml": XXE}))(f),
        ("xl/sharedStrings.xml", "DTD or entities"),
    ),
    Case(
        "zip-bomb-ratio",
        lambda f: raw_file(rezip({}, {"xl/media/pad.xml": b" " * (11 * 2**20)}))(f),
        ("zip bomb", "xl/media/pad.xml"),
    ),
    # -- container dialects and damage (issue 28): the guards see what calamine reads ---
    Case(
        "strict-error-na",
        packed(to_strict, na_in_demand),
        ("Demand!A4", "site", "#N/A", "Excel error"),
    ),
    Case(
        "strict-formula-no-result",
        packed(to_strict, lambda s: set_cell(s, "Suppliers", 2, "capacity", Formula("=10+10"))),
        ("Suppliers!E2", "capacity", "=10+10", "no saved result"),
    ),
    Case(
        "target-in-other-case",
        packed(demand_target(b"Worksheets/SHEET8.xml"), na_in_demand),
        ("Demand!A4", "site", "#N/A", "Excel error"),
    ),
    Case(
        "member-with-backslashes",
        packed(renamed(DEMAND_PART, DEMAND_PART.replace("/", "\\")), na_in_demand),
        ("Demand!A4", "site", "#N/A", "Excel error"),
    ),
    Case(
        "shared-string-not-an-index",
        packed(shared_string_index),
        ("Demand!A4", "site", "<v>x</v>", "refers to no shared string"),
    ),
    Case(
        "sheet-part-missing",
        packed(demand_target(b"worksheets/gone.xml")),
        ("Demand:", "worksheets/gone.xml", "missing from the file"),
    ),
    Case(
        "workbook-part-elsewhere",
        packed(workbook_elsewhere),
        ("keeps its workbook in xl/other.xml, not in xl/workbook.xml",),
    ),
    Case(
        "two-parts-one-name",
        packed(lambda m: {**m, DEMAND_PART.upper(): m[DEMAND_PART]}),
        ("two parts named", DEMAND_PART.upper(), "differ only in case"),
    ),
    Case(
        "broken-cell-alone-in-the-last-row",
        edited(lambda s: {**s, "Periods": [*s["Periods"], [Formula("=A3")]]}),
        ("Periods!A4", "period", "=A3", "no saved result"),
    ),
    # -- sheets and headers ----------------------------------------------------------
    Case("missing-sheet", edited(drop_sheet("Demand")), ("required sheet 'Demand' is missing",)),
    Case(
        "missing-column",
        edited(drop_column("Suppliers", "capacity")),
        ("Suppliers!1", "'capacity'", "missing"),
    ),
    Case(
        "duplicate-header",
        edited(lambda s: _header(s, "Suppliers", 8, "Capacity")),
        ("Suppliers!I1", "Capacity", "duplicate"),
    ),
    Case(
        "blank-header",
        edited(lambda s: _beyond(s, "Demand", 2, 9, 7.0)),
        ("Demand!J2", "blank header"),
    ),
    Case(
        "merged-cells",
        with_openpyxl(lambda b: b["Suppliers"].merge_cells("C2:C3")),
        ("Suppliers!C2", "C2:C3", "merged"),
    ),
    Case("no-periods", edited(lambda s: {**s, "Periods": [["period"]]}), ("Periods", "no periods")),
    # -- cell hazards ----------------------------------------------------------------
    Case(
        "formula-no-result",
        cell("Suppliers", 2, "capacity", Formula("=10+10")),
        ("Suppliers!E2", "capacity", "=10+10", "no saved result"),
    ),
    Case(
        "error-ref",
        cell("Suppliers", 3, "unit_cost", Formula("=A1/0", "#REF!")),
        ("Suppliers!F3", "unit_cost", "#REF!", "Excel error"),
    ),
    Case(
        "error-na-label",
        cell("Demand", 4, "site", Formula("=NA()", "#N/A")),
        ("Demand!A4", "site", "#N/A"),
    ),
    Case(
        "date-as-number",
        cell("Suppliers", 2, "capacity", dt.datetime(2027, 1, 5)),
        ("Suppliers!E2", "2027-01-05", "date or time"),
    ),
    Case(
        "datetime-as-label",
        cell("Demand", 2, "period", dt.datetime(2027, 1, 1, 14, 30)),
        ("Demand!C2", "2027-01-01T14:30", "time of day"),
    ),
    Case(
        "time-as-label",
        cell("Sites", 2, "site", dt.time(8, 15)),
        ("Sites!A2", "08:15", "time of day"),
    ),
    Case(
        "boolean-as-number",
        cell("Demand", 3, "quantity", True),
        ("Demand!D3", "TRUE", "TRUE/FALSE"),
    ),
    Case(
        "boolean-as-label",
        cell("Suppliers", 4, "supplier", False),
        ("Suppliers!A4", "FALSE", "text label"),
    ),
    Case(
        "thousands-separator",
        cell("Suppliers", 3, "capacity", "1,000"),
        ("Suppliers!E3", '"1,000"', "thousands separators"),
    ),
    Case("percent-text", cell("Countries", 2, "tariff", "20%"), ("Countries!B2", '"20%"', "0.25")),
    Case(
        "nan-text",
        cell("Materials", 2, "shortage_penalty", "nan"),
        ("Materials!C2", '"nan"', "not a finite number"),
    ),
    Case(
        "control-character", cell("Sites", 3, "site", "Ba\nse"), ("Sites!A3", "control character")
    ),
    Case(
        "number-text-junk",
        cell("Demand", 2, "quantity", "four"),
        ("Demand!D2", '"four"', "not a number"),
    ),
    # -- rules of SPEC §1 ------------------------------------------------------------
    Case(
        "negative-capacity",
        cell("Suppliers", 2, "capacity", -5.0),
        ("Suppliers!E2", "capacity", "-5", "must be a number ≥ 0"),
    ),
    Case(
        "blank-required",
        cell("Suppliers", 4, "unit_cost", None),
        ("Suppliers!F4", "unit_cost", "is blank"),
    ),
    Case(
        "country-typo",
        cell("Suppliers", 3, "country", "Chna"),
        ("Suppliers!C3", '"Chna"', "not in Countries", 'did you mean "China"'),
    ),
    Case(
        "unknown-material",
        cell("Demand", 5, "material", "Tb oxide"),
        ("Demand!B5", '"Tb oxide"', "not in Materials"),
    ),
    Case(
        "unknown-period",
        cell("Demand", 2, "period", "2027-13"),
        ("Demand!C2", '"2027-13"', "not in Periods"),
    ),
    Case(
        "unknown-site",
        cell("Pipeline", 2, "site", "Bse"),
        ("Pipeline!A2", '"Bse"', 'did you mean "Base"'),
    ),
    Case(
        "duplicate-demand",
        cell("Demand", 3, "period", "2027-01"),
        ("Demand!A3", "repeats Plant / Dy oxide / 2027-01", "row 2"),
    ),
    Case(
        "duplicate-offer",
        cell("Suppliers", 4, "supplier", "CN"),
        ("Suppliers!A4", "offers 'Dy oxide' twice", "row 2"),
    ),
    Case(
        "duplicate-country",
        cell("Countries", 4, "country", "china"),
        ("Countries!A4", '"china"', "listed twice"),
    ),
    Case(
        "duplicate-period", cell("Periods", 3, "period", "2027-01"), ("Periods!A3", "listed twice")
    ),
    Case(
        "lead-time-fraction",
        cell("Suppliers", 2, "lead_time", 1.5),
        ("Suppliers!G2", "1.5", "whole number"),
    ),
    Case(
        "approval-above-one",
        cell("Controls", 2, "approval", 1.2),
        ("Controls!E2", "1.2", "between 0 and 1"),
    ),
    Case(
        "share-above-one",
        cell("Countries", 2, "max_share", 2.0),
        ("Countries!D2", "between 0 and 1"),
    ),
    Case(
        "covered-not-yes-no",
        cell("Countries", 3, "covered", "maybe"),
        ("Countries!C3", '"maybe"', "yes/no"),
    ),
    Case(
        "initial-above-max", cell("Stock", 2, "initial", 60.0), ("Stock!C2", "60", "above max 50")
    ),
    Case("min-above-max", cell("Stock", 2, "min", 55.0), ("Stock!D2", "55", "above max 50")),
    Case(
        "window-reversed",
        edited(lambda s: set_cell(s, "Suppliers", 4, "available_to", "2027-01")),
        ("Suppliers!H4", "2027-02", "after available_to"),
    ),
    Case(
        "scenario-cycle",
        edited(
            lambda s: add_row(
                set_cell(s, "Scenarios", 2, "parent", "worse"),
                "Scenarios",
                scenario="worse",
                parent="ban",
            )
        ),
        ("Scenarios!B", "cycle", "ban"),
    ),
    Case(
        "unknown-parent",
        cell("Scenarios", 2, "parent", "bsae"),
        ("Scenarios!B2", '"bsae"', 'did you mean "base"'),
    ),
    Case(
        "base-with-parent",
        edited(lambda s: add_row(s, "Scenarios", scenario="base", parent="ban")),
        ("Scenarios!B3", "root scenario"),
    ),
    Case(
        "capacity-factor-end-use",
        cell("Controls", 4, "capacity_factor", 0.5),
        ("Controls!G4", "0.5", "only allowed on a rule with end_use '*'"),
    ),
    Case(
        "duplicate-rule",
        cell("Controls", 3, "scenario", "base"),
        ("Controls!B3", "repeats the rule (China, Dy, *) of scenario base", "row 2"),
    ),
    Case(
        "unknown-from-period",
        cell("Controls", 2, "from_period", "2030-01"),
        ("Controls!H2", '"2030-01"', "Periods"),
    ),
    Case(
        "unknown-to-period",
        edited(
            lambda s: set_cell(
                set_cell(s, "Controls", 2, "from_period", None),
                "Controls",
                3,
                "to_period",
                "2027-13",
            )
        ),
        ("Controls!I3", '"2027-13"', "Periods"),
    ),
    Case(
        "rule-from-after-to",
        edited(
            lambda s: set_cell(
                set_cell(s, "Controls", 2, "from_period", "2027-02"),
                "Controls",
                2,
                "to_period",
                "2027-01",
            )
        ),
        ("Controls!H2", '"2027-02"', "after to_period '2027-01'", "never in force"),
    ),
    Case(
        "rule-windows-overlap",
        edited(
            lambda s: set_cell(
                set_cell(
                    set_cell(s, "Controls", 2, "to_period", "2027-02"),
                    "Controls",
                    3,
                    "scenario",
                    "base",
                ),
                "Controls",
                3,
                "from_period",
                "2027-02",
            )
        ),
        ("Controls!B3", "repeats the rule (China, Dy, *) of scenario base", "overlapping", "row 2"),
    ),
    Case(
        "unknown-item",
        cell("Controls", 2, "item", "Dysprosium"),
        ("Controls!C2", '"Dysprosium"', "not an element symbol"),
    ),
    Case(
        "unknown-control-scenario",
        cell("Controls", 3, "scenario", "bann"),
        ("Controls!A3", '"bann"', 'did you mean "ban"'),
    ),
    Case(
        "lane-material-not-offered",
        cell("Lanes", 3, "material", "Dy oxide"),
        ("Lanes!B3", '"Dy oxide"', "materials US1 offers"),
    ),
    Case(
        "duplicate-lane",
        cell("Lanes", 3, "supplier", "CN"),
        ("Lanes!A3", "repeats the lane", "row 2"),
    ),
    Case(
        "period-days-zero",
        edited(lambda s: add_row(s, "Settings", key="period_days", value=0.0)),
        ("Settings!B4", "0", "must be a number > 0"),
    ),
    Case(
        "settings-unknown-scenario",
        cell("Settings", 3, "value", "heavy"),
        ("Settings!B3", '"heavy"', "is not a scenario"),
    ),
    Case(
        "settings-duplicate-key",
        edited(lambda s: add_row(s, "Settings", key="Risk Weight", value=2.0)),
        ("Settings!A4", "given twice", "row 2"),
    ),
    Case(
        "bad-element",
        cell("Materials", 3, "elements", "Nd, Xx"),
        ("Materials!B3", '"Nd, Xx"', "'Xx'", "not a rare-earth element"),
    ),
    Case(
        "negative-tariff",
        edited(
            lambda s: (
                add_row(s, "Controls", scenario="base", country="US", item="*", end_use="*")
                and set_cell(s, "Controls", 5, "extra_tariff", -0.5)
            )
        ),
        ("Controls!5", "extra_tariff", "below zero"),
    ),
]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _header(sheets: Sheets, sheet: str, index: int, name: str) -> Sheets:
    rows = sheets[sheet]
    for row in rows:
        row += [None] * (index + 1 - len(row))
    rows[0][index] = name
    rows[1][index] = 1.0
    return sheets


def _beyond(sheets: Sheets, sheet: str, row: int, index: int, value: object) -> Sheets:
    rows = sheets[sheet]
    rows[row - 1] += [None] * (index + 1 - len(rows[row - 1]))
    rows[row - 1][index] = value
    return sheets


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_broken_workbook_is_rejected_with_a_located_message(case, tmp_path):
    source_dir = tmp_path / "in"
    source_dir.mkdir()
    source = case.build(source_dir)
    before = sha(source)
    target = tmp_path / "out" / "plan.xlsx"
    target.parent.mkdir()
    result = CliRunner().invoke(cli, ["solve", str(source), "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert str(source) in result.stderr
    for fragment in case.expect:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.output
    assert list(target.parent.iterdir()) == []
    assert sha(source) == before


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


def test_declared_size_limit_refuses_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(optimizer.workbook.container, "MAX_UNZIPPED_BYTES", 1000)
    source = write_book(tmp_path / "big.xlsx", rich())
    result = CliRunner().invoke(cli, ["validate", str(source)])
    assert result.exit_code == 2
    assert "refused before unpacking" in result.stderr


def test_file_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(optimizer.workbook.container, "MAX_FILE_BYTES", 1000)
    source = write_book(tmp_path / "big.xlsx", rich())
    result = CliRunner().invoke(cli, ["validate", str(source)])
    assert result.exit_code == 2
    assert "larger than the" in result.stderr


def test_every_problem_is_listed_in_one_run(tmp_path):
    sheets = rich()
    set_cell(sheets, "Suppliers", 2, "capacity", -1.0)
    set_cell(sheets, "Demand", 3, "site", "Plnat")
    set_cell(sheets, "Controls", 2, "approval", 3.0)
    source = write_book(tmp_path / "three.xlsx", sheets)
    result = CliRunner().invoke(cli, ["validate", str(source), "--json"])
    assert result.exit_code == 2
    assert "3 problems to fix" in result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "input error"
    assert {e["cell"] for e in record["errors"]} == {"Suppliers!E2", "Demand!A3", "Controls!E2"}
    located = record["errors"][0]
    assert {"sheet", "cell", "row", "column", "value", "message"} <= set(located)
