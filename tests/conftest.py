"""Shared fixtures: writing test workbooks and solving them in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import ScenarioRun, solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.workbooks import Sheets, merge, write_book


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.json from the current results (add a dated note)",
    )
    parser.addoption(
        "--update-docs",
        action="store_true",
        help="rewrite docs/formulation.md's family section from the models/ docstrings",
    )


@pytest.fixture
def book(tmp_path: Path) -> Callable[..., Path]:
    """Write a workbook from spreadsheet-like text (or parsed sheets) into tmp_path."""
    count = 0

    def make(*texts: str, sheets: Sheets | None = None, name: str | None = None) -> Path:
        nonlocal count
        count += 1
        target = tmp_path / (name or f"book{count}.xlsx")
        return write_book(target, sheets if sheets is not None else merge(*texts))

    return make


@pytest.fixture
def solve_text(book: Callable[..., Path]) -> Callable[..., ScenarioRun]:
    """Solve spreadsheet-like text in-process and return the scenario run."""

    def run(*texts: str, scenario: str = "base") -> ScenarioRun:
        inputs = load_inputs(book(*texts))
        return solve_scenario(inputs, resolve_scenario(inputs, scenario), SolveOptions())

    return run
