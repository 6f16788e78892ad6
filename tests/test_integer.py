"""SPEC §7, integer sourcing terms: known answers per column, the independent formulation
of `tests/reference_mip.py` on random workbooks, a brute force over the binaries, the
time-limit rule, marginal values, outputs and every input error of the new columns."""

from __future__ import annotations

import json
import random
from pathlib import Path

import highspy
import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from benchmarks.integer_terms import EXAMPLE, lp_copy
from models.build import build_model
from optimizer.cli import cli
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.plan.onboarding import MARGINALS_NOTE
from optimizer.problems import InputError, NoPlanError
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import standard_form
from optimizer.workbook.validate import load_inputs
from tests.reference_mip import build_reference
from tests.test_known_answers import BASE
from tests.test_known_answers import ONE_PERIOD as ONE_PERIOD_DEMAND
from tests.workbooks import Sheets, write_book

EXACT = 1e-9

ONE_PERIOD = (BASE, ONE_PERIOD_DEMAND)
"""One period, demand 10 t of M at Plant, shortage 1,000 per t; Suppliers still to give."""

LUMPY = """
[Suppliers]
supplier | material | country | capacity | unit_cost | fixed_cost
SA       | M        | A       | 6        | 10        | 50
SB       | M        | A       | 10       | 12        | 50
"""
"""SA: cap 6 at 10, SB: cap 10 at 12, each 50 to onboard."""


def solve(book, *texts: str, gap: float | None = 0.0):
    inputs = load_inputs(book(*texts))
    return solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(mip_gap=gap))


# -- known answers ----------------------------------------------------------------------


def test_fixed_cost_chooses_one_supplier_over_two(book):
    """Demand 10; SA: cap 6 at 10, SB: cap 10 at 12, each 50 to onboard.

    The LP would buy 6 from SA and 4 from SB (60 + 48 = 108). Onboarding both costs
    108 + 100 = 208; SA alone leaves 4 t short (60 + 4,000 + 50); SB alone costs
    120 + 50 = 170: the optimum.
    """
    run = solve(
        book,
        *ONE_PERIOD,
        LUMPY,
    )
    summary = run.tables.summary
    assert run.tables.objective == pytest.approx(170.0, abs=EXACT)
    assert (summary.purchase, summary.fixed) == (120.0, 50.0)
    assert summary.suppliers_used == 1
    assert summary.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert run.tables.plan["supplier"].tolist() == ["SB"]
    onboarded = run.tables.onboarded.set_index("supplier")
    assert onboarded["onboarded"].to_dict() == {"SA": "no", "SB": "yes"}
    assert onboarded["fixed_paid"].to_dict() == {"SA": 0.0, "SB": 50.0}


def test_min_order_makes_building_stock_cheaper_than_two_small_orders(book):
    """Demand 5 in each of two periods, one offer at 10 with a minimum lot of 8, holding 1.

    Two orders of 5 are not allowed; two lots of 8 cost 160 + holding 3 + 11 = 174; one
    lot of 10 in P1 costs 100 + holding 5 = 105: the optimum (the LP would pay 100).
    """
    run = solve(
        book,
        BASE,
        """
        [Materials]
        material | shortage_penalty | safety_penalty | holding_cost
        M        | 1000             | 0              | 1
        [Suppliers]
        supplier | material | country | capacity | unit_cost | min_order
        S        | M        | A       | 100      | 10        | 8
        """,
    )
    assert run.tables.objective == pytest.approx(105.0, abs=EXACT)
    assert run.tables.summary.holding == pytest.approx(5.0, abs=EXACT)
    assert run.tables.plan[["period", "quantity"]].values.tolist() == [["P1", 10.0]]


@pytest.mark.parametrize(("cap", "expected"), [(1, 130.0), (2, 104.0)])
def test_max_suppliers_forces_consolidation(book, cap, expected):
    """Demand 10; SA cap 6 at 10, SB cap 6 at 11, SC cap 10 at 13.

    Two suppliers: SA 6 + SB 4 = 104 (the LP). One: SC alone 130 (SA alone would leave
    4 t short at 1,000 each).
    """
    run = solve(
        book,
        *ONE_PERIOD,
        f"""
        [Materials]
        material | shortage_penalty | safety_penalty | max_suppliers
        M        | 1000             | 0              | {cap}
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        SA       | M        | A       | 6        | 10
        SB       | M        | A       | 6        | 11
        SC       | M        | A       | 10       | 13
        """,
    )
    assert run.tables.objective == pytest.approx(expected, abs=EXACT)
    assert run.tables.summary.suppliers_used == cap
    assert run.tables.summary.fixed == 0.0


def test_marginal_values_come_from_the_lp_with_binaries_fixed(book, tmp_path):
    """SA is not onboarded: its row is fixed to 0 t, and a tonne there would replace a tonne
    bought from SB: saves 12 − 10 = 2. SB is full, but the demand is met: one more tonne
    of it saves nothing (SPEC v3: the shortfall is at most the demand, so no tonne of
    shortage stands in for stock)."""
    path = book(
        *ONE_PERIOD,
        LUMPY,
    )
    result = CliRunner().invoke(
        cli, ["solve", str(path), "-o", str(tmp_path / "plan.xlsx"), "--mip-gap", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["fixed"], record["suppliers_used"], record["mip_gap"]) == (50.0, 1, 0.0)
    workbook = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    capacity = list(workbook["Capacity"].iter_rows(values_only=True))
    column = capacity[0].index("saving_per_extra_t")
    assert [row[column] for row in capacity[1:]] == [2.0, 0.0]
    for sheet in ("Capacity", "Savings", "Limits", "Marginal costs", "Unused offers"):
        assert MARGINALS_NOTE in workbook[sheet].oddHeader.left.text  # printed on every page
    onboarding = list(workbook["Onboarding"].iter_rows(values_only=True))
    assert onboarding[0][:4] == ("supplier", "material", "country", "onboarded")
    assert [row[3] for row in onboarding[1:]] == ["no", "yes"]


def test_a_plan_that_buys_nothing_is_written(book, tmp_path):
    """Onboarding (5,000) costs more than the 4 t short (4,000): the plan buys nothing,
    and its workbook (whose purchases chart has no series) is still written."""
    path = book(
        BASE,
        """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | fixed_cost
        S        | M        | A       | 100      | 10        | 5000
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 4
        """,
    )
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["objective"], record["fixed"], record["suppliers_used"]) == (4000.0, 0.0, 0)
    assert target.exists()


# -- an LP stays an LP --------------------------------------------------------------------

LP = """
[Suppliers]
supplier | material | country | capacity | unit_cost
SA       | M        | A       | 6        | 10
SB       | M        | A       | 10       | 12
"""


def test_a_model_without_the_new_columns_is_the_same_lp(book):
    """No column of §7 (or all of them blank or 0): no binary, the same matrix, and the
    objective of the LP (6 × 10 + 4 × 12 = 108)."""
    blank = """
    [Suppliers]
    supplier | material | country | capacity | unit_cost | fixed_cost | min_order
    SA       | M        | A       | 6        | 10        |            | 0
    SB       | M        | A       | 10       | 12        | 0          |
    """
    forms = []
    for text in (LP, blank):
        inputs = load_inputs(book(*ONE_PERIOD, text))
        form = standard_form(build_model(derive(inputs, resolve_scenario(inputs, "base")).data))
        assert not form.is_mip
        forms.append(form)
    assert np.array_equal(forms[0].matrix.toarray(), forms[1].matrix.toarray())
    assert forms[0].cost.tolist() == forms[1].cost.tolist()
    run = solve(book, *ONE_PERIOD, blank)
    assert run.tables.objective == pytest.approx(108.0, abs=EXACT)
    assert run.tables.summary.integer_model == "no"
    assert run.tables.onboarded.empty


LP_EXAMPLE = {
    "base": 283214449.1823176,
    "oct-2025-reinstated": 298832677.4448739,
    "heavy-ban": 301855635.7794158,
    "burma-disruption": 284437113.4621763,
    "truce": 254145080.8564075,
    "demand-surge": 356944837.4137843,
    "dy-tb-ban-2028": 284003439.2400596,
    "no61-reinstated": 289922692.6565068,
}
"""The example's objectives without SPEC §7's columns (2026-12-02, with the magnet plant of
issue 24 and the commercial terms of issue 25)."""


def test_the_example_without_onboarding_columns_keeps_its_lp_objectives(tmp_path):
    inputs = load_inputs(lp_copy(EXAMPLE, tmp_path / "example-lp.xlsx"))
    for name, value in LP_EXAMPLE.items():
        run = solve_scenario(inputs, resolve_scenario(inputs, name), SolveOptions())
        assert run.tables.summary.integer_model == "no"
        assert run.tables.objective == pytest.approx(value, rel=1e-9), name


# -- the independent formulation and the brute force ---------------------------------------


def random_sheets(seed: int, offers: tuple[int, int] = (2, 4)) -> Sheets:
    """A small random workbook in the subset `tests/reference_mip.py` reads."""
    rng = random.Random(seed)
    periods = [f"2027-{m:02d}" for m in range(1, rng.randint(1, 3) + 1)]
    materials = [f"mat{i}" for i in range(rng.randint(1, 2))]
    sites = [f"site{i}" for i in range(rng.randint(1, 2))]
    sheets: Sheets = {
        "Periods": [["period"], *[[p] for p in periods]],
        "Materials": [
            ["material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
             "disruption_cost", "max_suppliers"],
            *[[m, rng.choice(["Nd", "Dy"]), float(rng.randint(0, 3)), 500.0,
               float(rng.choice([0, 5, 20])), float(rng.randint(0, 40)),
               rng.choice([None, None, 1.0, 2.0])] for m in materials],
        ],
        "Countries": [["country", "tariff"], ["A", rng.choice([0.0, 0.1])], ["B", 0.25]],
        "Sites": [["site"], *[[s] for s in sites]],
    }  # fmt: skip
    suppliers = [["supplier", "material", "country", "capacity", "unit_cost", "freight",
                  "lead_time", "fixed_cost", "min_order"]]  # fmt: skip
    for i in range(rng.randint(*offers)):
        suppliers.append(
            [f"sup{i}", rng.choice(materials), rng.choice(["A", "B"]),
             float(rng.randint(0, 12)), float(rng.randint(1, 100)), float(rng.randint(0, 5)),
             float(rng.randint(0, len(periods) - 1)), rng.choice([0.0, 0.0, 30.0, 150.0]),
             rng.choice([0.0, 0.0, 3.0, 7.0])]
        )  # fmt: skip
    sheets["Suppliers"] = suppliers
    demand = [["site", "material", "period", "quantity"]]
    demand += [
        [s, m, p, float(rng.randint(0, 10))]
        for s in sites
        for m in materials
        for p in periods
        if rng.random() < 0.7
    ]
    sheets["Demand"] = (
        demand if len(demand) > 1 else [*demand, [sites[0], materials[0], periods[0], 4.0]]
    )
    stock = [["site", "material", "initial", "min", "target_end"]]
    stock += [
        [s, m, float(rng.randint(0, 6)), float(rng.randint(0, 3)), float(rng.randint(0, 3))]
        for s in sites
        for m in materials
        if rng.random() < 0.5
    ]
    sheets["Stock"] = stock
    controls = [["country", "item", "approval"]]
    if rng.random() < 0.6:
        controls.append(["B", rng.choice(["*", "Nd", "Dy"]), rng.choice([0.0, 0.5, 0.8])])
    sheets["Controls"] = controls
    return sheets


def _objectives(tmp_path: Path, seed: int, offers: tuple[int, int] = (2, 4)):
    path = write_book(tmp_path / f"random{seed}.xlsx", random_sheets(seed, offers))
    inputs = load_inputs(path)
    run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(mip_gap=0.0))
    return run, build_reference(path)


@pytest.mark.parametrize("seed", range(24))
def test_reopt_solve_equals_the_independent_formulation(tmp_path, seed):
    """`reopt solve --mip-gap 0` against `tests/reference_mip.py`, to 1e-6 relative."""
    path = write_book(tmp_path / f"random{seed}.xlsx", random_sheets(seed))
    result = CliRunner().invoke(
        cli, ["solve", str(path), "-o", str(tmp_path / "plan.xlsx"), "--mip-gap", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    expected = build_reference(path).solve()
    assert expected is not None
    assert json.loads(result.stdout)["objective"] == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_the_random_workbooks_are_integer_models(tmp_path):
    """The comparison above is about MIPs: most of its workbooks have binaries."""
    integer = sum(
        bool(build_reference(write_book(tmp_path / f"w{s}.xlsx", random_sheets(s))).integer.any())
        for s in range(24)
    )
    assert integer >= 20


@pytest.mark.parametrize("seed", range(100, 112))
def test_mip_objective_is_the_best_over_every_assignment_of_the_binaries(tmp_path, seed):
    run, reference = _objectives(tmp_path, seed, offers=(1, 3))
    if reference.integer.sum() > 10:
        pytest.skip("too many binaries to enumerate")
    best = reference.brute_force()
    assert best is not None
    assert run.tables.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


# -- the solve: gap, time limit ------------------------------------------------------------


def stop_integer_solves_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS reports `time limit` after every solve of a model with integer columns (a
    real time limit with an integer-feasible solution is not reproducible)."""
    original = highspy.Highs.getModelStatus

    def status(self: highspy.Highs) -> highspy.HighsModelStatus:
        if len(self.getLp().integrality_):
            return highspy.HighsModelStatus.kTimeLimit
        return original(self)

    monkeypatch.setattr(highspy.Highs, "getModelStatus", status)


def test_a_time_limited_integer_plan_is_written_with_its_gap(book, tmp_path, monkeypatch):
    """HiGHS stopping at the time limit with an integer-feasible solution: status
    `time limit`, the gap in Summary and as a warning, exit 0."""
    stop_integer_solves_at_the_time_limit(monkeypatch)
    path = book(*ONE_PERIOD, LUMPY)
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(
        cli, ["solve", str(path), "-o", str(target), "--time-limit", "60", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["status"] == "time limit"
    assert record["objective"] == pytest.approx(170.0)
    assert any("time limit reached" in w["message"] for w in record["warnings"])
    assert target.exists()


def test_a_time_limit_without_an_integer_solution_has_no_plan(book, tmp_path, monkeypatch):
    stop_integer_solves_at_the_time_limit(monkeypatch)
    monkeypatch.setattr("optimizer.solver.highs.FEASIBLE", -1)
    target = tmp_path / "plan.xlsx"
    path = book(*ONE_PERIOD, LUMPY)
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(target), "--time-limit", "60"])
    assert result.exit_code == 3
    assert "time limit" in result.stderr
    assert not target.exists()


def test_an_lp_at_the_time_limit_still_has_no_plan(book, monkeypatch):
    monkeypatch.setattr(
        highspy.Highs, "getModelStatus", lambda self: highspy.HighsModelStatus.kTimeLimit
    )
    inputs = load_inputs(book(*ONE_PERIOD, LP))
    with pytest.raises(NoPlanError):
        solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(time_limit=60))


def test_the_gap_comes_from_the_option_else_settings(book, monkeypatch):
    """SolveOptions.mip_gap wins; without it Settings mip_gap reaches HiGHS."""
    seen: list[float] = []
    original = highspy.Highs.setOptionValue

    def spy(self, name, value):
        if name == "mip_rel_gap":
            seen.append(value)
        return original(self, name, value)

    monkeypatch.setattr(highspy.Highs, "setOptionValue", spy)
    settings = "[Settings]\nkey | value\nmip_gap | 0.05\n"
    solve(book, *ONE_PERIOD, LUMPY, settings, gap=None)
    solve(book, *ONE_PERIOD, LUMPY, settings, gap=0.2)
    assert seen[0] == 0.05 and seen[-1] == 0.2


# -- many scenarios -------------------------------------------------------------------------


def test_whatif_solves_integer_models_per_scenario(book, tmp_path):
    """base (demand 10): SB alone, 170. `more` (demand × 1.5 = 15): SA 6 + SB 9 with both
    onboarded = 60 + 108 + 100 = 268 beats SB alone with 5 t short."""
    path = book(
        *ONE_PERIOD,
        LUMPY,
        """
        [Scenarios]
        scenario | demand_factor
        more     | 1.5
        """,
    )
    target = tmp_path / "whatif.xlsx"
    result = CliRunner().invoke(
        cli, ["whatif", str(path), "-o", str(target), "--mip-gap", "0", "--workers", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["scenario"]: row for row in json.loads(result.stdout)["comparison"]}
    assert rows["base"]["objective"] == pytest.approx(170.0)
    assert rows["more"]["objective"] == pytest.approx(268.0)


def test_whatif_keeps_a_time_limited_integer_plan(book, tmp_path, monkeypatch):
    stop_integer_solves_at_the_time_limit(monkeypatch)
    path = book(*ONE_PERIOD, LUMPY)
    result = CliRunner().invoke(
        cli,
        ["whatif", str(path), "-o", str(tmp_path / "w.xlsx"), "--workers", "1",
         "--time-limit", "60", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["comparison"]
    assert (row["status"], row["objective"]) == ("time limit", pytest.approx(170.0))


def test_replan_solves_integer_models_and_records_them(book, tmp_path):
    """The nightly job on the whatif workbook above: both scenarios, as integer plans."""
    path = book(*ONE_PERIOD, LUMPY, "[Scenarios]\nscenario | demand_factor\nmore | 1.5\n")
    out_dir = tmp_path / "nightly"
    result = CliRunner().invoke(
        cli,
        ["replan", str(path), "--out-dir", str(out_dir), "--workers", "1", "--mip-gap", "0",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["objectives"] == {"base": pytest.approx(170.0), "more": pytest.approx(268.0)}
    plan = openpyxl.load_workbook(Path(record["folder"]) / "plan.xlsx")
    assert "Onboarding" in plan.sheetnames


# -- input errors and warnings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "column", "value", "expected"),
    [
        ("Suppliers", "fixed_cost", -5.0, "≥ 0"),
        ("Suppliers", "fixed_cost", "lots", "a number"),
        ("Suppliers", "min_order", -1.0, "≥ 0"),
        ("Materials", "max_suppliers", 0.0, "≥ 1"),
        ("Materials", "max_suppliers", 1.5, "a whole number"),
    ],
)
def test_bad_integer_columns_are_located(book, sheet, column, value, expected):
    sheets = {
        "Periods": [["period"], ["P1"]],
        "Materials": [["material", column if sheet == "Materials" else "elements"], ["M", None]],
        "Countries": [["country"], ["A"]],
        "Sites": [["site"], ["Plant"]],
        "Suppliers": [
            ["supplier", "material", "country", "capacity", "unit_cost", column],
            ["S", "M", "A", 10.0, 5.0, None],
        ],
        "Demand": [["site", "material", "period", "quantity"], ["Plant", "M", "P1", 1.0]],
    }
    target = sheets[sheet]
    target[1][target[0].index(column)] = value
    with pytest.raises(InputError) as failure:
        load_inputs(book(sheets=sheets))
    (problem,) = failure.value.errors
    assert (problem.sheet, problem.row, problem.column) == (sheet, 2, column)
    assert expected in problem.message
    assert problem.value == value


def test_a_bad_mip_gap_setting_is_located(book):
    with pytest.raises(InputError) as failure:
        load_inputs(book(*ONE_PERIOD, LP, "[Settings]\nkey | value\nmip_gap | -0.1\n"))
    (problem,) = failure.value.errors
    assert (problem.sheet, problem.row, problem.column) == ("Settings", 2, "value")


def test_a_negative_mip_gap_option_is_a_usage_error(book):
    result = CliRunner().invoke(cli, ["solve", str(book(*ONE_PERIOD, LP)), "--mip-gap", "-1"])
    assert result.exit_code == 2


def test_a_min_order_above_capacity_is_warned_about(book):
    inputs = load_inputs(
        book(
            *ONE_PERIOD,
            """
            [Suppliers]
            supplier | material | country | capacity | unit_cost | min_order
            S        | M        | A       | 5        | 10        | 8
            """,
        )
    )
    (warning,) = [w for w in inputs.warnings if w.column == "min_order"]
    assert (warning.sheet, warning.row, warning.value) == ("Suppliers", 2, 8.0)
    assert "above capacity 5" in warning.message
