"""A generated M-size workbook (~100k deliveries): its objective is pinned.

Every performance change must reproduce it to 1e-9 relative (issue 6). Benchmarks of
speed and memory live in benchmarks/, not here.
"""

from __future__ import annotations

import pytest

from benchmarks.synthetic import write
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

PINNED_M = 80699730829.03133
"""2026-11-22: benchmarks/synthetic.py size M, seed 7, scenario base (before issue 6 work)."""


def test_generated_m_workbook_objective_is_pinned(tmp_path):
    inputs = load_inputs(write("M", tmp_path / "M.xlsx"))
    run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())
    assert run.instance.data.deliveries == 103_948
    assert run.tables.objective == pytest.approx(PINNED_M, rel=1e-9)
