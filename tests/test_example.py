"""The bundled example workbook end to end, with every scenario's objective pinned.

The pinned values live in tests/golden/example.json with a dated note for every
change. After a deliberate change run `pytest tests/test_example.py --update-golden`
and replace the generated note with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from optimizer.domain.scenarios import resolve_scenario, scenario_names
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
GOLDEN = Path(__file__).parent / "golden" / "example.json"


@pytest.fixture(scope="module")
def objectives() -> dict[str, float]:
    inputs = load_inputs(EXAMPLE)
    return {
        name: solve_scenario(
            inputs, resolve_scenario(inputs, name), SolveOptions()
        ).tables.objective
        for name in scenario_names(inputs)
    }


def test_example_objectives_match_the_pinned_values(objectives, request):
    if request.config.getoption("--update-golden"):
        record = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {"notes": []}
        record["objectives"] = objectives
        record["notes"].append(f"{dt.date.today()}: updated with --update-golden (say why)")
        GOLDEN.write_text(json.dumps(record, indent=2) + "\n")
    pinned = json.loads(GOLDEN.read_text())["objectives"]
    assert set(objectives) == set(pinned)
    for name, value in pinned.items():
        assert objectives[name] == pytest.approx(value, rel=1e-9), name


def test_tighter_controls_never_lower_the_example_cost(objectives):
    """The workbook's scenarios only add restrictions on top of their parents."""
    assert objectives["oct-2025-reinstated"] >= objectives["base"]
    assert objectives["heavy-ban"] >= objectives["oct-2025-reinstated"]
    assert objectives["burma-disruption"] >= objectives["base"]
    assert objectives["truce"] <= objectives["base"]


def test_example_workbook_is_built_by_its_script(tmp_path):
    """inputs/example.xlsx is what inputs/build_example.py writes (no hand edits)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_example", ROOT / "inputs" / "build_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(tmp_path / "example.xlsx")
    fresh, bundled = load_inputs(tmp_path / "example.xlsx"), load_inputs(EXAMPLE)
    for table in ("offers", "demand", "stock", "pipeline", "controls", "lanes"):
        assert getattr(fresh, table).equals(getattr(bundled, table)), table
