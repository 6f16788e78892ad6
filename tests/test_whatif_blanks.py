"""A what-if measure without a value is None with a reason, never NaN (issue 28).

The four measures that have no value: a scenario without a plan, a change against a base
objective of 0, the shipped share of a material nobody ships, and a sweep's percentiles
when every sample fails. Each is a JSON null that `blank_because` explains, and no value
of the `--json` object is a non-finite number written as null (`not_finite`).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.json_text import NOT_FINITE
from tests.test_known_answers import BASE
from tests.test_no_plan import OVERFLOW

FREE_BASE = """
[Suppliers]
supplier | material | country | capacity | unit_cost
S        | M        | A       | 100      | 0
[Scenarios]
scenario
ban
[Controls]
scenario | country | approval
ban      | A       | 0
"""
"""Base buys 10 t at a price of 0 (objective 0); `ban` denies A: 10 t short at 1,000."""
UNSHIPPED_AND_UNSOLVED = """
[Materials]
material | shortage_penalty | safety_penalty
M        | 1000             | 0
N        | 1000             | 0
[Stock]
site  | material | max
Plant | M        | 5
[Pipeline]
site  | material | period | quantity
Plant | M        | P1     | 10
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 10
Plant | M        | P2     | 5
[Scenarios]
scenario | demand_factor
less     | 0.1
"""
"""Nobody ships N; in `less` 9 of the 10 t of pipeline stay in a store that holds 5."""
NO_BASE_PLAN = OVERFLOW.replace("Depot | M        | 4       | 6", "Depot | M        | 4       | 5")


def _whatif(book, tmp_path, *texts: str, options: tuple[str, ...] = ()) -> dict:
    source = book(BASE, *texts)
    arguments = ["whatif", str(source), "-o", str(tmp_path / "w.xlsx"), "--workers", "1"]
    text = CliRunner().invoke(cli, [*arguments, *options])
    assert text.exit_code == 0, text.output
    result = CliRunner().invoke(cli, [*arguments, *options, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert NOT_FINITE not in record, record[NOT_FINITE]
    return record


def test_a_change_against_a_base_objective_of_0_has_no_percentage(book, tmp_path):
    base, ban = _whatif(book, tmp_path, FREE_BASE)["comparison"]
    assert (base["objective"], ban["objective"], ban["change_vs_base"]) == (0, 10_000, 10_000)
    assert ban["change_vs_base_pct"] is None
    assert "change_vs_base_pct: the base objective is 0" in ban["blank_because"]


def test_a_material_nobody_ships_and_a_scenario_without_a_plan(book, tmp_path):
    base, less = _whatif(book, tmp_path, UNSHIPPED_AND_UNSOLVED)["comparison"]
    assert base["M: shipped share"] == 1 and base["N: shipped share"] is None
    assert base["blank_because"] == "N: shipped share: no N is shipped"
    assert less["status"].startswith("No plan")
    assert less["objective"] is None and less["change_vs_base"] is None
    assert less["blank_because"].startswith("every measure: the scenario has no plan (infeasible")


def test_a_base_without_a_plan_leaves_every_change_blank(book, tmp_path):
    [base] = _whatif(book, tmp_path, NO_BASE_PLAN)["comparison"]
    assert base["objective"] is None and base["change_vs_base_pct"] is None
    assert "the scenario has no plan" in base["blank_because"]


def test_a_sweep_whose_samples_all_fail_has_no_percentiles(book, tmp_path):
    licensed = "[Controls]\ncountry | approval\nA | 0.5"
    record = _whatif(book, tmp_path, NO_BASE_PLAN, licensed, options=("--samples", "3"))
    for row in record["risk"]:
        assert (row["solved_samples"], row["failed_samples"]) == (0, 3)
        assert row["P50"] is None and row["mean"] is None
        assert row["blank_because"] == "none of the 3 samples has a plan"
