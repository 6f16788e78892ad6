"""Fuzz: mutated workbooks never crash, never leave partial output, never touch the input.

Random cells become random types (text, numbers, dates, times, booleans, formulas with
and without a saved result, error cells, control characters), rows are deleted or
duplicated and sheets dropped. Every run must end with exit code 0, 2 or 3, print no
traceback, write the plan only on success, and leave the input byte-identical.

The container fuzz rewrites the package instead of the cells: Strict Open XML
namespaces, prefixed elements, absolute and upper-case relationship targets, sheet parts
renamed in another case or with backslashes, inline strings, phonetic and rich-text
shared strings, no styles part; and at most one damaged cell (an error value, a formula
without its result, a shared-string index that is not one, a far cell) or hidden row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import cli
from optimizer.domain.inputs import Inputs
from optimizer.problems import InputError
from optimizer.workbook.validate import load_inputs
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

VALID = parse_sheets(RICH)

VALUES = st.sampled_from(
    [
        None, "", "  ", "abc", "-5", -5.0, 0.0, 0.5, 1.5, 2.0, 7.0, 1e308, "nan", "inf",
        "1,000", "12%", "#REF!", "=1+1", True, False, dt.date(2027, 1, 1),
        dt.datetime(2027, 2, 1, 13, 5), dt.time(12, 0), "Chna", "china ", "base", "ban",
        "*", "yes", "maybe", "Dy", "Nd, Pr", "Xx", "2027-01", "2027-02", "Plant", "Base",
        "CN", "Dy oxide", "defense", "a\x07b", "x" * 300, "\u00a0Plant\u00a0",
        Formula("=1+1"), Formula("=1/0", "#DIV/0!"), Formula("=NA()", "#N/A"),
    ]
)  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn) -> Sheets:
    sheets = {name: [list(row) for row in rows] for name, rows in VALID.items()}
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(sheets)))
        rows = sheets[name]
        action = draw(st.sampled_from(["cell", "cell", "cell", "delete", "duplicate", "drop"]))
        if action == "drop":
            del sheets[name]
            if not sheets:
                break
        elif action == "cell" or len(rows) < 2:
            r = draw(st.integers(0, len(rows) - 1))
            width = max(len(rows[r]), 1)
            c = draw(st.integers(0, width))
            rows[r] += [None] * (c + 1 - len(rows[r]))
            rows[r][c] = draw(VALUES)
        else:
            r = draw(st.integers(1, len(rows) - 1))
            if action == "delete":
                del rows[r]
            else:
                rows.insert(r, list(rows[r]))
    return sheets


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutations())
def test_mutated_workbooks_end_cleanly(sheets):
    with tempfile.TemporaryDirectory() as folder:
        source = write_book(Path(folder) / "mutated.xlsx", sheets)
        before = hashlib.sha256(source.read_bytes()).hexdigest()
        target = Path(folder) / "out" / "plan.xlsx"
        target.parent.mkdir()
        result = CliRunner().invoke(cli, ["solve", str(source), "-o", str(target)])
        assert result.exit_code in (0, 2, 3), result.output
        assert "Traceback" not in result.output
        assert "internal error" not in result.output, result.output
        assert hashlib.sha256(source.read_bytes()).hexdigest() == before
        written = sorted(p.name for p in target.parent.iterdir())
        assert written == (["plan.xlsx"] if result.exit_code == 0 else [])


# --- container-level mutations (issue 28): the same data in another dialect reads the same ---

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_NAMES = list(VALID)
SHEET_PARTS = [sheet_member(VALID, name) for name in SHEET_NAMES]
SST = "xl/sharedStrings.xml"
RELS = "xl/_rels/workbook.xml.rels"
CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)')
SHARED = re.compile(rb'<c r="([A-Z]+\d+)" t="s"><v>(\d+)</v></c>')
SI = re.compile(rb"<si><t(?: [^>]*)?>(.*?)</t></si>")


def _sheets(edit: Callable[[bytes], bytes]) -> Callable[[Members], Members]:
    return lambda m: {n: edit(d) if n in SHEET_PARTS else d for n, d in m.items()}


def _prefixed(xml: bytes) -> bytes:
    """The main namespace bound to `x:` and every element of it written with the prefix."""
    xml = xml.replace(b'xmlns="' + MAIN + b'"', b'xmlns:x="' + MAIN + b'"')
    return re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s/>])", rb"<\1x:\2", xml)


def _inline(members: Members) -> Members:
    """Shared-string cells written as inline strings (what some writers do instead)."""
    texts = SI.findall(members[SST])

    def inline(xml: bytes) -> bytes:
        return SHARED.sub(
            lambda m: b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (m[1], texts[int(m[2])]),
            xml,
        )

    return _sheets(inline)(members)


def _sst(edit: Callable[[bytes], bytes]) -> Callable[[Members], Members]:
    return lambda m: {**m, SST: SI.sub(lambda s: edit(s[1]), m[SST])}


def _rich(text: bytes) -> bytes:
    half = len(text) // 2
    run = b'<t xml:space="preserve">%s</t>'
    return b"<si><r>%s</r><r><rPr><b/></rPr>%s</r></si>" % (run % text[:half], run % text[half:])


def _targets(edit: Callable[[bytes], bytes]) -> Callable[[Members], Members]:
    def change(members: Members) -> Members:
        rels = re.sub(rb'Target="(worksheets/[^"]+)"', lambda m: b'Target="%s"' % edit(m[1]),
                      members[RELS])  # fmt: skip
        return {**members, RELS: rels}

    return change


def _renamed(rename: Callable[[str], str]) -> Callable[[Members], Members]:
    return lambda m: {rename(n) if n in SHEET_PARTS else n: d for n, d in m.items()}


NEUTRAL: dict[str, Callable[[Members], Members]] = {
    "inline strings": _inline,
    "phonetic runs": _sst(lambda t: b'<si><t>%s</t><rPh sb="0" eb="1"><t>XX</t></rPh></si>' % t),
    "rich text runs": _sst(_rich),
    "prefixed elements": lambda m: {
        n: _prefixed(d) if n in SHEET_PARTS or n in (SST, "xl/workbook.xml") else d
        for n, d in m.items()
    },
    "strict namespaces": to_strict,
    "absolute targets": _targets(lambda t: b"/xl/" + t),
    "targets in upper case": _targets(lambda t: t.upper()),
    "sheet parts in upper case": _renamed(lambda n: n.upper()),
    "sheet parts with backslashes": _renamed(lambda n: n.replace("/", "\\")),
    "no styles": lambda m: {n: d for n, d in m.items() if n != "xl/styles.xml"},
    "no document properties": lambda m: {n: d for n, d in m.items() if "docProps" not in n},
}
"""Mutations that keep every value: the workbook must read exactly as the original."""
ORDER = list(NEUTRAL)


@dataclass(frozen=True)
class Damage:
    """A change to one cell of one sheet, and what the refusal must name."""

    kind: str
    sheet: int
    cell: int

    def apply(self, members: Members) -> tuple[Members, str | None]:
        """The damaged members, and the `Sheet!A1` an error must name (None: a warning)."""
        part, name = SHEET_PARTS[self.sheet], SHEET_NAMES[self.sheet]
        xml = members[part]
        if self.kind == "far cell":
            far = b'<row r="60000"><c r="cv60000"><v>1</v></c></row></sheetData>'
            return {**members, part: xml.replace(b"</sheetData>", far)}, f"{name}!CV60000"
        if self.kind == "hidden row":
            rows = re.findall(rb'<row r="(\d+)"', xml)
            row = rows[self.cell % len(rows)]
            hidden = xml.replace(b'<row r="%s"' % row, b'<row r="%s" hidden="1"' % row)
            return {**members, part: hidden}, None
        cells = CELL.findall(xml) if self.kind != "shared string not an index" else [
            m[1] for m in SHARED.finditer(xml)
        ]  # fmt: skip
        ref = cells[self.cell % len(cells)]
        broken = {
            "error cell": b'<c r="%s" t="e"><v>#N/A</v></c>',
            "formula without a result": b'<c r="%s"><f>1+1</f></c>',
            "shared string not an index": b'<c r="%s" t="s"><v>x</v></c>',
        }[self.kind] % ref
        xml = re.sub(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref, lambda _: broken, xml, count=1)
        return {**members, part: xml}, f"{name}!{ref.decode()}"


DAMAGE = st.builds(
    Damage,
    st.sampled_from(
        [
            "error cell",
            "formula without a result",
            "shared string not an index",
            "far cell",
            "hidden row",
        ]
    ),
    st.integers(0, len(SHEET_NAMES) - 1),
    st.integers(0, 200),
)


def _content(inputs: Inputs) -> tuple:
    frames = ("materials", "countries", "sites", "offers", "lanes", "demand", "stock",
              "pipeline", "scenarios", "controls")  # fmt: skip
    return (
        inputs.settings, inputs.periods, inputs.budget,
        *(getattr(inputs, frame).to_json(orient="split", default_handler=str) for frame in frames),
    )  # fmt: skip


with tempfile.TemporaryDirectory() as _folder:
    _ORIGINAL = write_book(Path(_folder) / "valid.xlsx", VALID)
    VALID_BYTES = _ORIGINAL.read_bytes()
    ORIGINAL = load_inputs(_ORIGINAL)
ORIGINAL_WARNINGS = [problem.render() for problem in ORIGINAL.warnings]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sets(st.sampled_from(ORDER)), st.none() | DAMAGE)
def test_container_mutations_read_the_same_or_are_refused_naming_the_cell(neutral, damage):
    """Namespaces, prefixes, relationship targets, member names, shared strings, styles:
    the same values read the same (the same warnings too); a broken cell in any dialect
    is refused naming it; a hidden row is read and named; nothing else ever escapes."""
    members: Members = {}
    expected: str | None = None

    def edit(original: Members) -> Members:
        nonlocal expected
        changed = dict(original)
        if damage is not None:
            changed, expected = damage.apply(changed)
        for name in ORDER:
            if name in neutral:
                changed = NEUTRAL[name](changed)
        members.update(changed)
        return changed

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.xlsx"
        path.write_bytes(repack(VALID_BYTES, edit))
        try:
            inputs = load_inputs(path)
        except InputError as error:
            shown = "\n".join(error.lines())
            assert expected is not None, shown
            assert expected in shown, (expected, shown)
            return
    assert expected is None, f"{damage} was read: {expected}"
    assert _content(inputs) == _content(ORIGINAL)
    warnings = [problem.render() for problem in inputs.warnings]
    hidden = [text for text in warnings if "hidden in Excel" in text]
    assert [text for text in warnings if text not in hidden] == ORIGINAL_WARNINGS
    assert len(hidden) == (damage is not None and damage.kind == "hidden row")
