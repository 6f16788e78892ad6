"""Every `--json` command prints one object of finite numbers, on any valid workbook (issue 21).

Thirty generated workbooks (random sizes, rule windows, Lanes, Pipeline, budgets, integer
terms of SPEC §7, salvage values, scenario probabilities) go through validate, solve,
whatif (with stress flags, or a licence sweep), robust (named scenarios or licence
draws), replan and history. Standard output must parse as exactly one JSON object with
no NaN or Infinity token, its exit code must be a documented one (SPEC §3) and the same
as the process's, and every number in it must be finite.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.problems import ExitCode
from tests.generated import windowed_workbook
from tests.workbooks import Sheets, write_book

WORKBOOKS = 30
DOCUMENTED = {int(code) for code in ExitCode}


def _refuse(token: str) -> float:
    raise AssertionError(f"{token} is not JSON")


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    return []


def json_workbook(seed: int) -> Sheets:
    """`windowed_workbook(seed)`, sometimes with SPEC §7's terms, salvage values and
    scenario probabilities."""
    rng = random.Random(1000 + seed)
    sheets = windowed_workbook(seed)
    if rng.random() < 0.5:
        offers = sheets["Suppliers"]
        offers[0] = [*offers[0], "fixed_cost", "min_order"]
        for row in offers[1:]:
            row += [rng.choice([0.0, 30.0, 150.0]), rng.choice([0.0, 0.0, 3.0])]
        materials = sheets["Materials"]
        materials[0] = [*materials[0], "max_suppliers"]
        for row in materials[1:]:
            row.append(rng.choice([None, 1, 2]))
    if rng.random() < 0.5:
        materials = sheets["Materials"]
        materials[0] = [*materials[0], "salvage_value"]
        for row in materials[1:]:
            row.append(rng.choice([0.0, 15.0, 500.0]))
    if rng.random() < 0.5:
        sheets["Scenarios"] = [
            ["scenario", "parent", "demand_factor", "probability"],
            ["base", None, None, 0.5],
            ["shock", None, 1.2, 0.3],
            ["later", "shock", None, 0.2],
        ]
    return sheets


def _commands(seed: int, path: Path, out: Path) -> list[list[str]]:
    whatif = [["--ban", "China:*"], ["--samples", "4", "--seed", str(seed)], ["--demand", "1.3"]]
    robust = [[], ["--samples", "3", "--seed", str(seed)], ["--commit", "0"]]
    return [
        ["validate", str(path)],
        ["solve", str(path), "-o", str(out / "plan.xlsx")],
        ["whatif", str(path), "--workers", "1", "-o", str(out / "w.xlsx"), *whatif[seed % 3]],
        ["robust", str(path), "-o", str(out / "r.xlsx"), *robust[seed % 3]],
        ["replan", str(path), "--out-dir", str(out / "runs"), "--workers", "1"],
        ["history", "--out-dir", str(out / "runs")],
    ]


@pytest.mark.parametrize("seed", range(WORKBOOKS))
def test_every_json_command_prints_one_object_of_finite_numbers(tmp_path, seed):
    path = write_book(tmp_path / f"generated-{seed}.xlsx", json_workbook(seed))
    for arguments in _commands(seed, path, tmp_path):
        result = CliRunner().invoke(cli, [*arguments, "--json"])
        record = json.loads(result.stdout, parse_constant=_refuse)  # one object, or it fails
        assert isinstance(record, dict), arguments
        assert result.exit_code in DOCUMENTED, (arguments, result.stderr)
        assert record["exit_code"] == result.exit_code, (arguments, record)
        assert result.exit_code != int(ExitCode.INTERNAL), (arguments, result.stderr)
        assert all(math.isfinite(number) for number in _numbers(record)), arguments
