"""Start-up (issue 15): `--help` and `validate` load neither Pyomo, HiGHS nor scipy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
HEAVY = ("pyomo", "highspy", "scipy", "xlsxwriter")

PROBE = """
import json, sys
from optimizer.cli import cli
try:
    cli(sys.argv[1:], prog_name="reopt", standalone_mode=False)
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps(loaded), file=sys.stderr)
"""


def loaded_by(*arguments: str) -> set[str]:
    """Top-level packages imported by running `reopt ARGUMENTS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], cwd=ROOT, capture_output=True, text=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "arguments", [("--help",), ("validate", str(EXAMPLE)), ("validate", "--json", str(EXAMPLE))]
)
def test_help_and_validate_never_load_the_solver(arguments):
    assert loaded_by(*arguments).isdisjoint(HEAVY)


def test_the_probe_sees_what_solve_loads(tmp_path):
    """The same probe on `solve` finds Pyomo and HiGHS, so the check above can fail."""
    loaded = loaded_by("solve", str(EXAMPLE), "-o", str(tmp_path / "plan.xlsx"), "--json")
    assert {"pyomo", "highspy", "xlsxwriter"} <= loaded
    assert "scipy" not in loaded
