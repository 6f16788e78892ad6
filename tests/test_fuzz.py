"""Fuzz: mutated workbooks never crash, never leave partial output, never touch the input.

Random cells become random types (text, numbers, dates, times, booleans, formulas with
and without a saved result, error cells, control characters), rows are deleted or
duplicated and sheets dropped. Every run must end with exit code 0, 2 or 3, print no
traceback, write the plan only on success, and leave the input byte-identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import cli
from tests.workbooks import RICH, Formula, Sheets, parse_sheets, write_book

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
