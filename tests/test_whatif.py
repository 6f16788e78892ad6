"""reopt whatif: comparisons equal single solves, stress flags, sweeps, backends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.domain.draws import licence_draws
from optimizer.domain.scenarios import resolve_scenario, scenario_names
from optimizer.domain.stress import Stress, apply_stress
from optimizer.pipeline import solve_scenario
from optimizer.runs.parallel import Task, run_tasks
from optimizer.runs.whatif import Request, compare, sweep
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.test_known_answers import BASE, ONE_PERIOD

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"

# Two suppliers of one material; the cheap one (A1, country A) is licensed at approval 0.5
# with a disruption cost, the other (B1, country B) is dear but safe.
LICENSED = """
[Materials]
material | elements | shortage_penalty | safety_penalty | disruption_cost
M        | Dy       | 1000             | 0              | 20
[Countries]
country | tariff
A       | 0
B       | 0
Burma   | 0
[Suppliers]
supplier | material | country | mined_in | capacity | unit_cost | lead_time
A1       | M        | A       | Burma    | 100      | 10        | 0
B1       | M        | B       |          | 100      | 40        | 0
[Controls]
country | item | approval | delay_days
A       | Dy   | 0.5      | 0
"""


def inputs_of(book, *texts):
    return load_inputs(book(BASE, ONE_PERIOD, *texts))


def objective_with(inputs, *flags: tuple[str, str], demand: float = 1.0) -> float:
    scenario = apply_stress(
        inputs, resolve_scenario(inputs, "base"), [Stress(f, t) for f, t in flags], demand
    )
    return solve_scenario(inputs, scenario, SolveOptions()).tables.objective


def test_every_compared_objective_equals_the_single_solve():
    inputs = load_inputs(EXAMPLE)
    comparison = compare(inputs, Request(workers=1))
    alone = {
        name: solve_scenario(
            inputs, resolve_scenario(inputs, name), SolveOptions()
        ).tables.objective
        for name in scenario_names(inputs)
    }
    compared = dict(zip(comparison.table["scenario"], comparison.table["objective"], strict=True))
    assert compared == pytest.approx(alone, rel=1e-12)
    assert comparison.table["scenario"].iloc[0] == "base"
    assert comparison.table["change_vs_base"].iloc[0] == 0
    heavy = comparison.table.set_index("scenario").loc["heavy-ban"]
    assert heavy["change_vs_base_pct"] == pytest.approx(alone["heavy-ban"] / alone["base"] - 1)
    assert set(comparison.plan["scenario"]) == set(alone)
    assert {"NdPr oxide: top shipping country", "NdPr oxide: shipped share"} <= set(
        comparison.table.columns
    )


def test_ban_removes_the_supplier(book):
    """Base: A1 at 10 + risk 0.5 × 20 = 20/t → 200. Banned: B1 at 40/t → 400."""
    inputs = inputs_of(book, LICENSED)
    assert objective_with(inputs) == pytest.approx(200)
    assert objective_with(inputs, ("ban", "A:Dy")) == pytest.approx(400)
    assert objective_with(inputs, ("ban", "a:M")) == pytest.approx(400)


def test_demand_factor_scales_demand(book):
    inputs = inputs_of(book, LICENSED)
    assert objective_with(inputs, demand=1.2) == pytest.approx(1.2 * 200)


def test_approval_flag_keeps_the_rules_other_fields(book):
    """The base rule (A, Dy, *) has delay 31 days; --approval changes only the approval."""
    inputs = inputs_of(book, LICENSED.replace("0.5      | 0", "0.5      | 31"))
    base = resolve_scenario(inputs, "base")
    stressed = apply_stress(inputs, base, [Stress("approval", "A:Dy=0.8")])
    rule = stressed.rules.set_index(["country", "item", "end_use"]).loc[("A", "Dy", "*")]
    assert (rule["approval"], rule["delay_days"]) == (0.8, 31)
    assert len(stressed.rules) == len(base.rules)


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        (("approval", "A:*=0.8"), 10 * (10 + (1 - 0.4) * 20)),  # new key: 0.5 × 0.8 = 0.4
        (("capacity", "Burma:*=0"), 400),  # A1 is mined in Burma
        (("delay", "A:Dy=31"), 400),  # 2 periods of delay in a one-period plan
        (("tariff", "A=+0.25"), 10 * (12.5 + 10)),
        (("tariff", "A=-0"), 200),
    ],
)
def test_each_flag_makes_its_rule(book, flag, expected):
    inputs = inputs_of(book, LICENSED)
    assert objective_with(inputs, flag) == pytest.approx(expected)


def test_flags_compose_into_one_scenario_named_after_them(book, tmp_path):
    source = book(BASE, ONE_PERIOD, LICENSED)
    target = tmp_path / "whatif.xlsx"
    result = CliRunner().invoke(
        cli,
        ["whatif", str(source), "-o", str(target), "--workers", "1", "--json",
         "--tariff", "A=+0.25", "--ban", "A:Dy", "--approval", "A:Dy=0.9", "--demand", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["scenario"]: row for row in json.loads(result.stdout)["comparison"]}
    name = "base + approval A:Dy=0.9 + tariff A=+0.25 + ban A:Dy + demand 2"
    assert set(rows) == {"base", name}
    assert rows[name]["objective"] == pytest.approx(2 * 10 * 40)  # the ban wins: B1 only


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ban", "Chna:Dy"], 'did you mean "China"'),
        (["--ban", "China:Dysprosium"], "is not an element, a material or '*'"),
        (["--approval", "China:Dy=1.5"], "between 0 and 1"),
        (["--tariff", "China:Dy=+0.1"], "whole country"),
        (["--delay", "China:Dy"], "between 0 and 3650"),
        (["--scenario", "nope"], "'nope' is not in Scenarios"),
        (["--samples", "5", "--scenario", "truce"], "--base-scenario"),
    ],
)
def test_bad_flags_are_usage_errors(tmp_path, args, message):
    target = tmp_path / "w.xlsx"
    result = CliRunner().invoke(cli, ["whatif", str(EXAMPLE), "-o", str(target), *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not target.exists()


def test_failed_scenario_is_reported_in_its_row(book, tmp_path):
    """`empty` sets demand to 0, so pipeline receipts overflow storage: no plan."""
    source = book(
        BASE,
        """
        [Stock]
        site  | material | max
        Plant | M        | 5
        [Pipeline]
        site  | material | period | quantity
        Plant | M        | P1     | 8
        [Scenarios]
        scenario | demand_factor
        empty    | 0
        """,
    )
    target = tmp_path / "w.xlsx"
    result = CliRunner().invoke(cli, ["whatif", str(source), "-o", str(target), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = pd.read_excel(target, sheet_name="Comparison", engine="calamine").set_index("scenario")
    assert table.at["base", "status"] == "optimal"
    assert table.at["empty", "status"].startswith("No plan: infeasible")
    warnings = pd.read_excel(target, sheet_name="Warnings", engine="calamine")
    assert warnings["message"].str.contains("storage max").any()


def test_comparison_workbook_has_its_sheets_and_chart(tmp_path):
    target = tmp_path / "w.xlsx"
    result = CliRunner().invoke(cli, ["whatif", str(EXAMPLE), "-o", str(target), "--workers", "1"])
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(target)
    chart = archive.read("xl/charts/chart1.xml").decode()
    last = len(scenario_names(load_inputs(EXAMPLE))) + 1  # one row per scenario
    assert f"Comparison!$A$2:$A${last}" in chart and f"Comparison!$D$2:$D${last}" in chart
    sheets = pd.read_excel(target, sheet_name=None, engine="calamine")
    assert list(sheets)[:3] == ["Dashboard", "Comparison", "Summary"]
    assert {"Plan", "Mix", "Warnings"} <= set(sheets)
    assert sheets["Plan"].columns[0] == "scenario"
    board = openpyxl.load_workbook(target)["Dashboard"]
    labels = {row[0].value: row for row in board.iter_rows(min_row=5) if row[0].value}
    named = [cell.value for cell in next(board.iter_rows(min_row=4, max_row=4))][1:last]
    assert named == scenario_names(load_inputs(EXAMPLE))  # the scenarios are the columns
    described = load_inputs(EXAMPLE).scenarios["description"]
    shown = [cell.value for cell in labels["What the scenario assumes"][1:last]]
    assert shown == [described[name] for name in named]
    cash = [cell.value for cell in labels["Cash spend (USD)"][1:last]]
    assert cash == pytest.approx(sheets["Comparison"]["cash_spend"].tolist())


def test_sweep_draws_follow_the_seed(book):
    inputs = inputs_of(book, LICENSED)
    first = sweep(inputs, Request(samples=12, seed=3, workers=1)).samples
    again = sweep(inputs, Request(samples=12, seed=3, workers=1)).samples
    other = sweep(inputs, Request(samples=12, seed=4, workers=1)).samples
    pd.testing.assert_frame_equal(first, again)
    assert not first["A Dy *"].equals(other["A Dy *"])


def test_sweep_percentiles_and_supplier_use(book):
    """Approved samples cost 10 × 10 = 100 (A1, approval 1, no risk); denied ones 400."""
    inputs = inputs_of(book, LICENSED)
    result = sweep(inputs, Request(samples=40, seed=11, workers=1))
    _, approved = licence_draws(resolve_scenario(inputs, "base"), 40, 11)
    expected = np.where(approved[:, 0], 100.0, 400.0)
    assert result.samples["objective"].to_numpy() == pytest.approx(expected)
    risk = result.risk.set_index("measure").loc["objective"]
    for q in (10, 50, 90, 99):
        assert risk[f"P{q}"] == pytest.approx(np.percentile(expected, q))
    use = result.suppliers.set_index("supplier")
    assert use.at["A1", "share_of_samples"] == pytest.approx(approved[:, 0].mean())
    assert use.at["B1", "samples_used"] == (~approved[:, 0]).sum()


def test_process_pool_gives_the_same_objectives():
    inputs = load_inputs(EXAMPLE)
    tasks = [Task(i, resolve_scenario(inputs, n)) for i, n in enumerate(scenario_names(inputs))]
    inline = run_tasks(inputs, tasks, SolveOptions(threads=1), workers=1)
    pooled = run_tasks(inputs, tasks, SolveOptions(threads=1), workers=2)
    assert [r.summary.objective for r in pooled] == [r.summary.objective for r in inline]


def test_dask_local_cluster_gives_the_same_comparison(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        target = tmp_path / "dask.xlsx"
        result = CliRunner().invoke(
            cli,
            [
                "whatif",
                str(EXAMPLE),
                "-o",
                str(target),
                "--scheduler",
                cluster.scheduler_address,
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    inputs = load_inputs(EXAMPLE)
    for row in record["comparison"]:
        alone = solve_scenario(inputs, resolve_scenario(inputs, row["scenario"]), SolveOptions())
        assert row["objective"] == pytest.approx(alone.tables.objective, rel=1e-12)


def test_unreachable_scheduler_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "whatif",
            str(EXAMPLE),
            "-o",
            str(tmp_path / "w.xlsx"),
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.stderr
