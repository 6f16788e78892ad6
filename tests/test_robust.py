"""`reopt robust` (SPEC §6): known answers, properties, an independent build, every error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmarks.integer_terms import EXAMPLE, lp_copy
from models.data import DELIVERY_FIELDS
from optimizer.cli import cli
from optimizer.domain.derive import derive
from optimizer.domain.draws import licence_draws, sample_scenarios
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.plan.checks import check_plan
from optimizer.runs.robust import RobustRequest, plan_robust
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.reference_robust import random_sheets, robust_objective
from tests.workbooks import write_book

# SPEC §6's worked example: the pop-up shop of Postek et al., ch. 9, as sourcing.
POPUP = """
[Settings]
key            | value
commit_periods | 1
scenario       | mean
[Periods]
period
2026-06
[Materials]
material | shortage_penalty | salvage_value
shirt    | 40               | 2
[Countries]
country
Here
[Sites]
site
Shop
[Suppliers]
supplier | material | country | capacity | unit_cost
Maker    | shirt    | Here    | 10000    | 12
[Demand]
site | material | period  | quantity
Shop | shirt    | 2026-06 | 400
[Scenarios]
scenario | demand_factor | probability
high     | 1.625         | 0.1
base     |               | 0.6
low      | 0.5           | 0.3
mean     | 0.9125        |
"""

# Hand-computed: Dy oxide from China (100 per t) or Malaysia (300 per t, 10 t a period);
# demand 3 t then 14 t; China may ban Dy (probability 0.5). Committing January's orders,
# the plan buys 7 t from Malaysia in January: 3 t for January and 4 t of stock so that,
# under a ban, Malaysia's 10 t more cover February. base: 7·300 + 4·10 + 10·100 = 3,140;
# dy-ban: 2,100 + 40 + 10·300 = 5,140; objective 4,140. Alone: base 1,700 (China only),
# dy-ban 5,140, so ws 3,420 and evpi 720. Committing base's own January (3 t from China)
# leaves dy-ban 3 t short in January and 4 t in February (7,000) besides 10 t from
# Malaysia (3,000): eev = (1,700 + 10,000)/2 = 5,850, vss 1,710.
DY_BAN = """
[Periods]
period
2027-01
2027-02
[Materials]
material | elements | holding_cost | shortage_penalty | safety_penalty | disruption_cost
Dy oxide | Dy       | 10           | 1000             | 0              | 0
[Countries]
country
China
Malaysia
[Sites]
site
Plant
[Suppliers]
supplier | material | country  | capacity | unit_cost
CN       | Dy oxide | China    | 20       | 100
MY       | Dy oxide | Malaysia | 10       | 300
[Demand]
site  | material | period  | quantity
Plant | Dy oxide | 2027-01 | 3
Plant | Dy oxide | 2027-02 | 14
[Scenarios]
scenario | probability
base     | 0.5
dy-ban   | 0.5
[Controls]
scenario | country | item | approval
dy-ban   | China   | Dy   | 0
"""


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def robust(path: Path, **options: object):
    return plan_robust(load_inputs(path), RobustRequest(**options))  # type: ignore[arg-type]


def test_spec_worked_example_exactly(book, tmp_path):
    target = tmp_path / "robust.xlsx"
    result = run("robust", book(POPUP), "-o", target, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    figures = {k: record[k] for k in ("objective", "eev", "ws", "vss", "evpi", "commit_periods")}
    assert figures == pytest.approx(
        {"objective": 5680, "eev": 6261, "ws": 4380, "vss": 581, "evpi": 1300, "commit_periods": 1}
    )
    assert record["scenarios"]["high"] == pytest.approx(
        {"probability": 0.1, "cost": 12 * 400 + 40 * 250, "alone": 12 * 650}
    )
    assert record["expected_cost"] == pytest.approx(5680)
    sheets = openpyxl.load_workbook(target).sheetnames
    assert sheets[:5] == ["Robust", "Commit", "Scenarios", "Plan", "Stock"]
    commit = list(openpyxl.load_workbook(target)["Commit"].iter_rows(values_only=True))
    assert commit[1][commit[0].index("quantity")] == pytest.approx(400)
    last = commit[0].index("not_on_time_in")  # the printed page ends there
    printed = openpyxl.load_workbook(target)["Commit"].print_area
    assert printed.endswith(f"${openpyxl.utils.get_column_letter(last + 1)}$2"), printed
    board = list(openpyxl.load_workbook(target)["By scenario"].iter_rows(values_only=True))
    names = list(board[3][1:])  # the scenarios are the columns of the sheet that prints
    costs = next(row[1:] for row in board if row[0] == "Cost under the robust plan (USD)")
    by_name = dict(zip(names, costs, strict=True))
    assert by_name == pytest.approx({k: v["cost"] for k, v in record["scenarios"].items()})


def test_rare_earth_stock_built_before_a_possible_ban(book):
    result = robust(book(DY_BAN), commit=1, reference="base")
    assert result.objective == pytest.approx(4140, abs=1e-6)
    assert result.ws == pytest.approx(3420, abs=1e-6)
    assert result.eev == pytest.approx(5850, abs=1e-6)
    assert (result.vss, result.evpi) == pytest.approx((1710, 720), abs=1e-6)
    orders = result.commit.set_index("supplier")["quantity"].to_dict()
    assert orders == pytest.approx({"MY": 7})
    costs = {outcome.name: outcome.cost for outcome in result.scenarios}
    assert costs == pytest.approx({"base": 3140, "dy-ban": 5140})
    assert result.commit["dy-ban: what happens"].tolist() == ["arrives 2027-01 (on time)"]
    assert result.commit["not_on_time_in"].tolist() == ["on time in every scenario"]


def test_a_committed_order_that_fails_costs_the_failed_tonnes(book):
    ban_first = DY_BAN.replace("| 0              | 0\n", "| 0              | 50\n")
    result = robust(book(ban_first), commit=1, scenarios=("base", "dy-ban"), reference="base")
    eev = robust(book(ban_first), commit=1, reference="base").eev
    # base's own January (3 t from China) fails under the ban: 3 t × λ·50 more in eev
    assert eev == pytest.approx(5850 + 0.5 * 3 * 50, abs=1e-6)
    assert result.objective == pytest.approx(4140, abs=1e-6)


@pytest.mark.parametrize("seed", range(20))
def test_objective_equals_an_independent_build_of_the_spec(tmp_path, seed):
    rng = np.random.default_rng(seed)
    path = write_book(tmp_path / "random.xlsx", random_sheets(rng))
    alpha, beta = 0.8, [0.0, 0.5][seed % 2]
    names, probability = ["base", "squeeze", "ban"], [0.5, 0.3, 0.2]
    got = robust(path, alpha=alpha, beta=beta).objective
    expected = robust_objective(path, names, probability, alpha, beta)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_wait_and_see_below_robust_below_expected_value(tmp_path, seed):
    path = write_book(tmp_path / "random.xlsx", random_sheets(np.random.default_rng(seed)))
    result = robust(path)
    tolerance = 1e-6 * max(1.0, abs(result.objective))
    assert result.ws <= result.objective + tolerance
    if result.eev is not None:
        assert result.objective <= result.eev + tolerance
    assert result.evpi >= -tolerance
    zero = robust(path, commit=0)
    assert zero.objective == pytest.approx(zero.ws, rel=1e-9, abs=1e-6)
    inputs = load_inputs(path)
    for outcome in result.scenarios:
        own = solve_scenario(inputs, resolve_scenario(inputs, outcome.name), SolveOptions())
        assert outcome.alone == pytest.approx(own.tables.objective, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_one_scenario_of_probability_one_equals_solve_for_every_k(tmp_path, seed):
    sheets = random_sheets(np.random.default_rng(seed))
    sheets["Scenarios"] = [
        ["scenario", "parent", "probability"],
        ["base", None, 1.0],
        ["ban", None, None],
    ]
    sheets["Controls"] = [row for row in sheets["Controls"] if row[0] != "squeeze"]
    path = write_book(tmp_path / "single.xlsx", sheets)
    inputs = load_inputs(path)
    alone = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())
    for window in range(len(inputs.periods) + 1):
        result = robust(path, commit=window)
        assert [s.name for s in result.scenarios] == ["base"]
        assert result.objective == pytest.approx(alone.tables.objective, rel=1e-9, abs=1e-6)


def tail_expectation(costs: np.ndarray, probability: np.ndarray, alpha: float) -> float:
    """CVaR_α by its definition: the mean of the worst (1 − α) of the probability mass."""
    order = np.argsort(-costs)
    mass, total = 1 - alpha, 0.0
    for index in order:
        take = min(probability[index], mass)
        total += take * costs[index]
        mass -= take
        if mass <= 1e-15:
            break
    return total / (1 - alpha)


@pytest.mark.parametrize("seed", range(4))
def test_cvar_weight_trades_expected_cost_for_tail_cost(tmp_path, seed):
    path = write_book(tmp_path / "random.xlsx", random_sheets(np.random.default_rng(seed)))
    previous = None
    for beta in (0.0, 0.5, 2.0):
        result = robust(path, alpha=0.6, beta=beta)
        costs = np.array([s.cost for s in result.scenarios])
        probability = np.array([s.probability for s in result.scenarios])
        assert result.cvar == pytest.approx(tail_expectation(costs, probability, 0.6), abs=1e-6)
        if previous is not None:
            assert result.cvar <= previous.cvar + 1e-6 * max(1.0, previous.cvar)
            assert result.expected_cost >= previous.expected_cost - 1e-6 * max(
                1.0, previous.expected_cost
            )
        previous = result


def test_samples_are_equally_likely_licence_draws_merged_exactly(book):
    text = DY_BAN.replace("base     | 0.5", "base     |").replace("dy-ban   | 0.5", "dy-ban   |")
    text = text.replace("dy-ban   | China   | Dy   | 0", "base     | China   | Dy   | 0.5")
    path = book(text)
    result = robust(path, samples=8, seed=3)
    assert len(result.scenarios) == 8 and result.sizes["distinct_scenarios"] == 2
    assert {s.probability for s in result.scenarios} == {1 / 8}
    inputs = load_inputs(path)
    _, approved = licence_draws(resolve_scenario(inputs, "base"), 8, 3)
    share = float(approved[:, 0].mean())
    explicit = (
        text.replace(
            "[Scenarios]\nscenario | probability\nbase     |\ndy-ban   |",
            f"[Scenarios]\nscenario | probability\nbase | 0\nok | {share}\nban | {1 - share}",
        )
        + "ok | China | Dy | 1\nban | China | Dy | 0\n"
    )
    named = robust(book(explicit))
    assert named.objective == pytest.approx(result.objective, rel=1e-9)
    assert (named.ws, named.eev) == pytest.approx((result.ws, result.eev), rel=1e-9)
    assert result.ws <= result.objective + 1e-6


def test_sampled_blocks_of_the_example_pass_the_table_check_and_match_their_own_optima(tmp_path):
    """Licence draws of the example (as an LP) are derived from the reference's instance,
    solved alone warm and checked on arrays: each block's plan also passes the full table
    check, and each draw's own optimum equals `reopt solve` of that draw."""
    inputs = load_inputs(lp_copy(EXAMPLE, tmp_path / "example-lp.xlsx"))
    result = plan_robust(inputs, RobustRequest(samples=30, seed=4))
    base = resolve_scenario(inputs, "base")
    draws = {draw.name: draw for draw in sample_scenarios(base, 30, 4)[0]}
    assert result.sizes["distinct_scenarios"] < 30 and len(result.scenarios) == 30
    for outcome in result.scenarios:
        draw = draws[outcome.name]
        assert check_plan(inputs, draw, outcome.tables) == [], outcome.name
        cold = solve_scenario(inputs, draw, SolveOptions(threads=1), analyses=False)
        assert outcome.alone == pytest.approx(cold.tables.objective, rel=1e-9)
    assert all(not w.message.startswith("base sample") for w in result.warnings)


def test_replan_writes_robust_workbook_when_a_scenario_has_a_probability(book, tmp_path):
    result = run("replan", book(DY_BAN), "--out-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    folder = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert (folder / "robust.xlsx").exists()
    record = json.loads((folder / "run.json").read_text())
    assert (record["robust"]["objective"], record["robust"]["vss"]) == pytest.approx((4140, 1710))


@pytest.mark.parametrize(
    ("change", "args", "words"),
    [
        ("base     | 0.5", (), "add up to"),
        ("base     | 1.5", (), "between 0 and 1"),
        ("base     | 0", ("--scenario", "base", "--scenario", "dy-ban"), "must be > 0"),
        ("base     |", ("--scenario", "base", "--scenario", "dy-ban"), "has no probability"),
        (None, ("--commit", "3"), "--commit must be between 0 and the number of periods (2)"),
        (None, ("--commit", "-1"), "--commit must be between 0"),
        (None, ("--reference", "nowhere"), "'nowhere' is not in"),
        (None, ("--cvar-alpha", "1"), "--cvar-alpha must be at least 0 and below 1"),
        (None, ("--cvar-alpha", "-0.1"), "--cvar-alpha must be at least 0"),
        (None, ("--cvar-weight", "-1"), "--cvar-weight must be ≥ 0"),
        (None, ("--samples", "5", "--scenario", "base"), "use --reference, not --scenario"),
    ],
)
def test_every_input_rule_exits_2_with_a_located_message(book, tmp_path, change, args, words):
    text = DY_BAN if change is None else DY_BAN.replace("base     | 0.5", change, 1)
    if change == "base     | 0.5":
        text = DY_BAN.replace("dy-ban   | 0.5", "dy-ban   | 0.4")
    target = tmp_path / "out.xlsx"
    result = run("robust", book(text), "-o", target, *args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not target.exists()


def test_probability_errors_name_the_cell(book):
    result = run("robust", book(DY_BAN.replace("dy-ban   | 0.5", "dy-ban   | 0.4")), "--json")
    errors = json.loads(result.stdout.splitlines()[-1])["errors"]
    assert [(e["sheet"], e["row"], e["column"], e["value"]) for e in errors] == [
        ("Scenarios", 3, "probability", "0.4")
    ]


def test_commit_periods_beyond_the_horizon_is_a_settings_error(book):
    text = DY_BAN + "[Settings]\nkey | value\ncommit_periods | 3\n"
    result = run("robust", book(text), "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout.splitlines()[-1])["errors"][0]
    assert (error["sheet"], error["row"], error["column"]) == ("Settings", 2, "value")


def test_salvage_at_or_above_landed_cost_is_warned_and_reported(solve_text):
    text = POPUP.replace(
        "salvage_value\nshirt    | 40               | 2",
        "salvage_value\nshirt    | 40               | 12",
    )
    run_ = solve_text(text)
    assert any("salvage_value 12.00 of shirt" in p.message for p in run_.tables.warnings)
    # buying beyond demand is free: each extra tonne costs 12 and is worth 12 at the end
    assert run_.tables.summary.objective == pytest.approx(12 * 400)
    assert run_.tables.summary.salvage <= 0


def test_eev_is_absent_with_its_reason_when_the_reference_plan_overflows_storage(book):
    storage = POPUP + "[Stock]\nsite | material | max\nShop | shirt    | 100\n"
    result = run("robust", book(storage), "--reference", "high", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["eev"] is None and record["vss"] is None
    assert "breaks a hard limit" in record["eev_reason"]
    assert ("low" in record["eev_reason"]) or ("base" in record["eev_reason"])
    # the robust plan itself keeps the low scenario within storage: at most 200 + 100 t
    assert record["scenarios"]["low"]["cost"] >= record["scenarios"]["low"]["alone"]
    assert record["ws"] <= record["objective"] + 1e-6


def test_no_probability_anywhere_makes_every_scenario_equally_likely(book):
    blank = DY_BAN.replace("base     | 0.5", "base     |").replace("dy-ban   | 0.5", "dy-ban   |")
    result = run("robust", book(blank), "--reference", "base", "--mip-gap", "0.01", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["objective"] == pytest.approx(4140)
    assert {name: s["probability"] for name, s in record["scenarios"].items()} == {
        "base": 0.5,
        "dy-ban": 0.5,
    }


def test_restrict_slices_every_per_delivery_array(book):
    """A per-delivery array added to ModelData must join `DELIVERY_FIELDS` (else the
    scenario blocks would read it misaligned)."""
    inputs = load_inputs(book(DY_BAN))
    data = derive(inputs, resolve_scenario(inputs, "base")).data
    sizes = {data.points, data.periods, len(data.share_limit), len(data.share_cap)}
    assert data.deliveries not in sizes  # so the shapes below tell the arrays apart
    per_delivery = {
        field.name
        for field in dataclasses.fields(data)
        if isinstance(getattr(data, field.name), np.ndarray)
        and getattr(data, field.name).shape == (data.deliveries,)
    }
    assert per_delivery == set(DELIVERY_FIELDS)


def test_eev_of_an_lp_reuses_the_robust_plans_highs_model(book, monkeypatch):
    """eev re-solves the robust plan's kept HiGHS model with y fixed: the extensive form
    is built once, and the figure equals the SPEC worked example's."""
    import optimizer.pipeline as pipeline

    built = []
    original = pipeline.build_robust

    def counted(data):
        built.append(data)
        return original(data)

    monkeypatch.setattr(pipeline, "build_robust", counted)
    result = robust(book(POPUP))
    assert result.eev == pytest.approx(6261)
    assert len(built) == 1, "the robust plan's model was built twice"


# Hand-computed (SPEC v3 §6): lead time 1; in `slow` a licence review adds a period.
LATE = """
[Periods]
period
2027-01
2027-02
2027-03
[Materials]
material | holding_cost | shortage_penalty | disruption_cost
X        | 1            | 100              | 2
[Countries]
country
China
[Sites]
site
Plant
[Suppliers]
supplier | material | country | capacity | unit_cost | lead_time
CN       | X        | China   | 100      | 10        | 1
[Demand]
site  | material | period  | quantity
Plant | X        | 2027-02 | 5
Plant | X        | 2027-03 | 5
[Stock]
site  | material | initial
Plant | X        | 5
[Scenarios]
scenario | probability
base     | 0.5
slow     | 0.5
[Controls]
scenario | country | item | delay_days
slow     | China   | *    | 30
"""


def test_a_committed_order_arrives_a_period_late_and_stock_covers_it(book):
    """K = 2 commits base's orders of January and February: y2 (for February) and y3
    (for March). In slow y2 arrives in March and y3 in April, past the horizon (it fails
    at λ·2 per t); slow has no later order of its own. The 5 t on hand cover February in
    both. So y2 = 5, y3 = 0: base 5 (held in January) + 50 + 5 (y2 held into March) = 60,
    slow 5 + 50 = 55: RP 57.5. Alone both buy 5 t for March: 55 each, ws 55. base's own
    plan commits y3 = 5, so slow is 5 t short in March: 5 + 10 (failed) + 500 = 515,
    eev (55 + 515)/2 = 285."""
    result = robust(book(LATE), commit=2)
    assert (result.objective, result.ws, result.eev) == pytest.approx((57.5, 55, 285))
    assert {s.name: s.cost for s in result.scenarios} == pytest.approx({"base": 60, "slow": 55})
    slow = next(s for s in result.scenarios if s.name == "slow")
    assert slow.terms["shortage"] == pytest.approx(0, abs=1e-9)
    assert slow.tables.stock["closing"].tolist()[:2] == pytest.approx([5, 0])
    commit = result.commit
    assert commit[["order_by", "delivery_period", "quantity"]].values.tolist() == [
        ["2027-01", "2027-02", pytest.approx(5)]
    ]
    assert commit["base: what happens"].tolist() == ["arrives 2027-02 (on time)"]
    assert commit["slow: what happens"].tolist() == ["arrives 2027-03 (1 month late)"]
    assert commit["not_on_time_in"].tolist() == ["slow: 1 month late"]


def test_what_becomes_of_an_order_is_said_in_words():
    """After the horizon, denied, or late with the share that arrives."""
    from optimizer.plan.commitments import arrival_words

    periods = ["2027-01", "2027-02", "2027-03"]
    assert arrival_words(0.0, 3, 2, periods, 30) == (
        "arrives after the horizon (a licence review too long)"
    )
    assert arrival_words(0.0, 1, 1, periods, 30).startswith("denied")
    assert arrival_words(0.5, 2, 1, periods, 20) == (
        "arrives 2027-03 (1 period late), 50% of it (the rest cannot be supplied)"
    )


def test_the_example_commits_its_first_orders_across_suppliers_and_materials(tmp_path):
    """The orders the example places in its first two periods: many suppliers and
    materials (SPEC v2 committed deliveries, which lead times left almost empty), sorted by
    the period each must be placed in; --json lists the same orders."""
    path = lp_copy(EXAMPLE, tmp_path / "example-lp.xlsx")
    target = tmp_path / "robust.xlsx"
    result = run("robust", path, "-o", target, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    commit = pd.read_excel(target, sheet_name="Commit", engine="calamine")
    assert len(commit) == len(record["orders"]) > 5
    assert commit["supplier"].nunique() > 1 and commit["material"].nunique() > 1
    assert commit["order_by"].tolist() == sorted(commit["order_by"])
    assert set(commit["order_by"]) <= {"2027-01", "2027-02"}
    assert [o["quantity"] for o in record["orders"]] == pytest.approx(commit["quantity"].tolist())
    page = [cell for row in openpyxl.load_workbook(target)["Robust"].values for cell in row]
    words = " ".join(str(cell) for cell in page if isinstance(cell, str))
    assert f"Place {len(commit)} order(s) now" in words
    assert "Hedging is worth" in words and "Better intelligence could still save" in words
