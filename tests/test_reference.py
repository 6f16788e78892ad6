"""`reopt solve` equals an independent build of SPEC v2 §2 on random windowed workbooks.

`tests/reference_lp.py` reads each workbook with openpyxl and solves its own LP with
scipy's HiGHS; the objectives of every scenario must agree (or both have no plan).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from tests.generated import windowed_workbook
from tests.reference_lp import reference_objective
from tests.workbooks import write_book

SCENARIOS = ("base", "shock", "later")


@pytest.mark.parametrize("seed", range(20))
def test_solve_equals_the_independent_reference(seed, tmp_path):
    path = write_book(tmp_path / f"random{seed}.xlsx", windowed_workbook(seed))
    for scenario in SCENARIOS:
        expected = reference_objective(path, scenario)
        result = CliRunner().invoke(
            cli,
            ["solve", str(path), "--scenario", scenario, "--json", "-o", str(tmp_path / "p.xlsx")],
        )
        if expected is None:
            assert result.exit_code == 3, result.output
            continue
        assert result.exit_code == 0, result.output
        objective = json.loads(result.stdout)["objective"]
        assert objective == pytest.approx(expected, rel=1e-7, abs=1e-6), (seed, scenario)


def test_the_workbooks_use_windows():
    """The comparison means something: most workbooks carry windowed rules."""
    windowed = 0
    for seed in range(20):
        rules = windowed_workbook(seed)["Controls"][1:]
        windowed += any(rule[-2] is not None or rule[-1] is not None for rule in rules)
    assert windowed >= 15


def test_the_reference_is_independent():
    """The reference imports neither reopt's model nor its optimizer package."""
    import ast
    from pathlib import Path

    source = (Path(__file__).parent / "reference_lp.py").read_text()
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert modules.isdisjoint({"models", "optimizer", "pyomo", "highspy", "tests"})
    assert "scipy" in modules
