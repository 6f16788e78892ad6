"""`reopt robust` with SPEC §7's integer terms: z decided now and shared by every scenario."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.runs.robust import RobustRequest, plan_robust
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.reference_robust import random_sheets, robust_objective
from tests.workbooks import write_book

# Hand-computed: 10 t of Dy oxide in one period, nothing committed (K = 0). CN sells at
# 10 per t, MY at 12, each with an onboarding fee of 100; shortage costs 1,000 per t.
# cn-only bans Malaysia, my-only bans China (probability 0.5 each). Alone: cn-only
# 100 + 100 = 200, my-only 120 + 100 = 220, so ws = 210. Onboarding is decided now, so
# the robust plan onboards both (fees 200 in every scenario): cn-only 300, my-only 320,
# objective 310 (onboarding one supplier leaves the other scenario 10 t short: 10,000).
# The reference base onboards CN alone, whose fee my-only pays too (F·z is in every
# C_ω): eev = (200 + 100 + 10,000)/2 = 5,150, vss 4,840.
SPLIT = """
[Settings]
key      | value
scenario | base
[Periods]
period
2027-01
[Materials]
material | elements | shortage_penalty | safety_penalty
Dy oxide | Dy       | 1000             | 0
[Countries]
country
Malaysia
China
[Sites]
site
Mill
[Suppliers]
supplier | material | country  | capacity | unit_cost | fixed_cost
CN       | Dy oxide | China    | 20       | 10        | 100
MY       | Dy oxide | Malaysia | 20       | 12        | 100
[Demand]
site | material | period  | quantity
Mill | Dy oxide | 2027-01 | 10
[Scenarios]
scenario | probability
cn-only  | 0.5
my-only  | 0.5
[Controls]
scenario | country  | item | approval
cn-only  | Malaysia | Dy   | 0
my-only  | China    | Dy   | 0
"""


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_shared_onboarding_exactly(book, tmp_path):
    result = run("robust", book(SPLIT), "--commit", "0", "-o", tmp_path / "r.xlsx", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["objective"] == pytest.approx(310, abs=1e-6)
    assert record["ws"] == pytest.approx(210, abs=1e-6)
    assert record["eev"] == pytest.approx(5150, abs=1e-6)
    assert record["vss"] == pytest.approx(4840, abs=1e-6)
    assert record["evpi"] == pytest.approx(100, abs=1e-6)
    assert record["onboarded"] == "CN / Dy oxide; MY / Dy oxide"
    assert record["fixed"] == pytest.approx(200)
    costs = {name: s["cost"] for name, s in record["scenarios"].items()}
    assert costs == pytest.approx({"cn-only": 300, "my-only": 320})
    alone = {name: s["alone"] for name, s in record["scenarios"].items()}
    assert alone == pytest.approx({"cn-only": 200, "my-only": 220})


@pytest.mark.parametrize("seed", range(24))
def test_matches_independent_mip_and_ws_below_rp_below_eev(tmp_path, seed):
    """SPEC §6 with §7's binaries, built independently (scipy's milp), to 1e-6."""
    rng = np.random.default_rng(1000 + seed)
    path = write_book(tmp_path / "random.xlsx", random_sheets(rng, integer=True))
    alpha, beta = 0.8, [0.0, 0.5][seed % 2]
    names, probability = ["base", "squeeze", "ban"], [0.5, 0.3, 0.2]
    inputs = load_inputs(path)
    result = plan_robust(inputs, RobustRequest(alpha=alpha, beta=beta, mip_gap=0.0))
    expected = robust_objective(path, names, probability, alpha, beta)
    assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    tolerance = 1e-6 * max(1.0, abs(result.objective))
    assert result.ws <= result.objective + tolerance
    if result.eev is not None:
        assert result.objective <= result.eev + tolerance
    base = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(mip_gap=0.0))
    assert result.scenarios[0].alone == pytest.approx(base.tables.objective, rel=1e-6, abs=1e-6)


def test_time_limit_without_an_integer_plan_exits_3(tmp_path):
    """SPEC §7: at the time limit without an integer-feasible robust plan, no workbook."""
    target = tmp_path / "r.xlsx"
    example = Path(__file__).parents[1] / "inputs" / "example.xlsx"
    result = run("robust", example, "--time-limit", "0.001", "-o", target, "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["error"] == "no plan: time limit reached with no plan"
    assert not target.exists()


@pytest.mark.parametrize(
    ("seed", "beta"), [(1010, 0.0), (1010, 0.5), (2000, 0.0), (2001, 0.5), (2002, 0.0), (2003, 0.5)]
)
def test_integer_eev_block_by_block_equals_the_joint_model(tmp_path, seed, beta, monkeypatch):
    """With y and z fixed the blocks share nothing: each block's own optimum gives the
    joint model's eev, for β = 0 and β > 0 (the CVaR of the block costs). Seed 1010
    onboards an offer one block cannot use: its fixed cost is still in that block's C_ω."""
    import optimizer.runs.robust as robust_run

    rng = np.random.default_rng(seed)
    path = write_book(tmp_path / "random.xlsx", random_sheets(rng, integer=True))
    inputs = load_inputs(path)
    request = RobustRequest(alpha=0.8, beta=beta, mip_gap=0.0)
    blockwise = plan_robust(inputs, request)
    monkeypatch.setattr(robust_run, "BLOCKWISE_EEV", False)
    joint = plan_robust(inputs, request)
    assert (blockwise.eev is None) == (joint.eev is None)
    if joint.eev is not None:
        assert blockwise.eev == pytest.approx(joint.eev, rel=1e-7, abs=1e-6)
