"""Controls in force over a window of periods (SPEC v2 `from_period`, `to_period`).

Each docstring carries the hand computation; objectives are asserted exactly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.domain.stress import Stress, apply_stress
from optimizer.pipeline import solve_scenario
from optimizer.plan import checks
from optimizer.plan.changes import input_changes
from optimizer.problems import InputError
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

EXACT = 1e-9

# Three periods of 10 t of Dy oxide; China at 100/t, Australia at 300/t, holding 1/t.
CHINA_OR_AUSTRALIA = """
[Periods]
period
P1
P2
P3
[Materials]
material | elements | holding_cost
Dy oxide | Dy       | 1
[Countries]
country
China
Australia
[Sites]
site
Plant
[Suppliers]
supplier | material | country   | capacity | unit_cost
CN       | Dy oxide | China     | 100      | 100
AU       | Dy oxide | Australia | 100      | 300
[Demand]
site  | material | period | quantity
Plant | Dy oxide | P1     | 10
Plant | Dy oxide | P2     | 10
Plant | Dy oxide | P3     | 10
"""

P4 = """
[Periods]
period
P1
P2
P3
P4
[Demand]
site  | material | period | quantity
Plant | Dy oxide | P1     | 10
Plant | Dy oxide | P2     | 10
Plant | Dy oxide | P3     | 10
Plant | Dy oxide | P4     | 10
"""

CN_CAPACITY = "CN       | Dy oxide | China     | 100"

BAN_FROM_P2 = """
[Controls]
country | item | approval | from_period
China   | Dy   | 0        | P2
"""


def bought(run) -> dict[tuple[str, str], float]:
    plan = run.tables.plan
    return {(r.supplier, r.period): r.quantity for r in plan.itertuples()}


def test_ban_from_period_two_builds_stock_before_it(solve_text):
    """China bans Dy from P2: all 30 t from China in P1, 20 t then 10 t carried.
    purchase 30 × 100 = 3,000 + holding 20 + 10 = 30 → 3,030."""
    run = solve_text(CHINA_OR_AUSTRALIA, BAN_FROM_P2)
    assert run.tables.objective == pytest.approx(3030, rel=EXACT)
    assert bought(run) == pytest.approx({("CN", "P1"): 30})
    assert run.tables.summary.holding == pytest.approx(30, rel=EXACT)
    assert run.instance.data.deliveries == 4  # CN in P1; AU in P1..P3


def test_without_the_window_the_ban_holds_everywhere(solve_text):
    """The same rule without a window: Australia for all 30 t → 9,000."""
    run = solve_text(CHINA_OR_AUSTRALIA, BAN_FROM_P2.replace("P2", ""))
    assert run.tables.objective == pytest.approx(9000, rel=EXACT)


def test_ban_until_period_one_lifts_after_it(solve_text):
    """to_period P1: banned only in P1, so P1 comes from Australia: 3,000 + 2,000 = 5,000."""
    rule = BAN_FROM_P2.replace("from_period", "to_period").replace("P2", "P1")
    run = solve_text(CHINA_OR_AUSTRALIA, rule)
    assert run.tables.objective == pytest.approx(5000, rel=EXACT)
    assert bought(run) == pytest.approx({("AU", "P1"): 10, ("CN", "P2"): 10, ("CN", "P3"): 10})


def test_delay_from_mid_horizon_lengthens_only_its_deliveries(solve_text):
    """A 90-day licence review from P3 (period_days 30): L = 3 for deliveries in P3 and P4,
    0 before. CN cannot deliver in P3 (3 ≯ 3); P3's 10 t come from CN in P2 (100 + 1
    holding) rather than AU (300): 40 × 100 + 10 = 4,010. P4's delivery is licensed and
    ordered by P1; P1 and P2 are not licensed."""
    rule = """
[Controls]
country | item | delay_days | from_period
China   | Dy   | 90         | P3
"""
    run = solve_text(CHINA_OR_AUSTRALIA, P4, rule)
    assert run.tables.objective == pytest.approx(4010, rel=EXACT)
    plan = run.tables.plan.set_index("period")
    assert plan["quantity"].to_dict() == pytest.approx({"P1": 10, "P2": 20, "P4": 10})
    assert plan["licensed"].to_dict() == {"P1": "no", "P2": "no", "P4": "yes"}
    assert plan["order_by"].to_dict() == {"P1": "P1", "P2": "P2", "P4": "P1"}
    cn = run.instance.deliveries.query("supplier == 'CN'")
    assert cn.set_index("period")["lead_periods"].to_dict() == {0: 0, 1: 0, 3: 3}


def test_capacity_cut_over_two_periods(solve_text):
    """capacity_factor 0.5 in P2..P3 on CN's 15 t: 15, 7.5, 7.5, 15. Buy 15 in P1 and
    carry 5, then 2.5: all 40 t from CN, 4,000 + holding 7.5 = 4,007.5."""
    rule = """
[Controls]
country | capacity_factor | from_period | to_period
China   | 0.5             | P2          | P3
"""
    book = CHINA_OR_AUSTRALIA.replace(CN_CAPACITY, "CN | Dy oxide | China | 15")
    run = solve_text(book, P4, rule)
    assert run.tables.objective == pytest.approx(4007.5, rel=EXACT)
    assert run.instance.data.capacity_t[0].tolist() == [15, 7.5, 7.5, 15]
    capacity = run.tables.capacity.query("supplier == 'CN'").set_index("period")
    assert capacity["capacity"].to_dict() == {"P1": 15, "P2": 7.5, "P3": 7.5, "P4": 15}
    assert capacity["used"].to_dict() == pytest.approx({"P1": 15, "P2": 7.5, "P3": 7.5, "P4": 10})


def test_tariff_and_cost_factor_are_read_at_the_delivery_period(solve_text):
    """cost_factor 1.5 and extra_tariff 2 from P2: CN costs 100 × 1.5 × 3 = 450 there, more
    than AU's 300, so everything is bought ahead in P1: 3,000 + holding 30 = 3,030; the
    Plan's P1 row is landed at 100."""
    rule = """
[Controls]
country | extra_tariff | cost_factor | from_period
China   | 2            | 1.5         | P2
"""
    run = solve_text(CHINA_OR_AUSTRALIA, rule)
    assert run.tables.objective == pytest.approx(3030, rel=EXACT)
    prices = run.instance.deliveries.query("supplier == 'CN'")["landed_per_t"].tolist()
    assert prices == [100, 450, 450]
    assert run.tables.plan["landed_cost"].tolist() == [100]


DESCENDANT = """
[Scenarios]
scenario   | parent
later      | base
[Controls]
scenario | country | item | approval | from_period
base     | China   | Dy   | 0        |
later    | China   | Dy   | 0        | P2
"""


def test_descendant_window_replaces_the_windowless_ancestor_rule(solve_text):
    """base bans China all horizon (9,000); `later` replaces that rule with the ban from
    P2 only (window included): 3,030."""
    assert solve_text(CHINA_OR_AUSTRALIA, DESCENDANT).tables.objective == pytest.approx(9000)
    later = solve_text(CHINA_OR_AUSTRALIA, DESCENDANT, scenario="later")
    assert later.tables.objective == pytest.approx(3030, rel=EXACT)
    assert later.instance.scenario.rules["from_t"].tolist() == [1]


STEPPED = """
[Scenarios]
scenario | parent
truce    | base
[Controls]
scenario | country | extra_tariff | from_period | to_period
base     | China   | 0.5          |             | P1
base     | China   | 2.5          | P2          |
truce    | China   | 0            |             |
"""


def test_one_rule_steps_up_over_disjoint_windows(solve_text):
    """Duty 50 % in P1, 250 % from P2: CN costs 150 in P1 and 350 after, more than AU's
    300, so all 30 t are bought in P1: 4,500 + holding 30 = 4,530. `truce` replaces both
    rows of the key with one windowless rule: 3,000."""
    run = solve_text(CHINA_OR_AUSTRALIA, STEPPED)
    assert run.tables.objective == pytest.approx(4530, rel=EXACT)
    truce = solve_text(CHINA_OR_AUSTRALIA, STEPPED, scenario="truce")
    assert truce.tables.objective == pytest.approx(3000, rel=EXACT)
    assert len(truce.instance.scenario.rules) == 1


def test_unused_offer_warning_says_in_which_periods(book):
    """CN has lead time 1 and is banned from P2: it can never deliver, for a different
    reason before and after the ban."""
    text = CHINA_OR_AUSTRALIA.replace("capacity | unit_cost", "capacity | unit_cost | lead_time")
    text = text.replace("| 100      | 100\n", "| 100      | 100       | 1\n")
    inputs = load_inputs(book(text, BAN_FROM_P2))
    instance = derive(inputs, resolve_scenario(inputs, "base"))
    (warning,) = [w.message for w in instance.warnings]
    assert warning == (
        "unused supplier: CN / Dy oxide can never deliver (P1: lead time and licence delay "
        "end after its last available period; P2 … P3: a Controls rule sets its licence "
        "approval to 0 for every site that needs it)"
    )
    pairs = instance.pairs.query("supplier == 'CN'")
    assert pairs[["start", "end", "approval"]].values.tolist() == [[0, 0, 1], [1, 2, 0]]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        (("ban", "China:Dy@P2"), 5010),
        (("ban", "China:Dy"), 9000),
        (("capacity", "China:*=0@P3"), 3010),
        (("tariff", "China=+2@P2"), 5010),
    ],
)
def test_stress_flags_start_at_a_period(book, flag, expected):
    """CN has 20 t per period. Ban (or duty up to AU's price) from P2: P1 buys 20 t from
    CN and carries 10 (holding 10), P3 buys 10 t at 300: 2,000 + 10 + 3,000 = 5,010.
    Capacity 0 from P3: P3's 10 t come from CN in P2: 3,000 + 10 = 3,010."""
    text = CHINA_OR_AUSTRALIA.replace(CN_CAPACITY, "CN | Dy oxide | China | 20")
    inputs = load_inputs(book(text))
    scenario = apply_stress(inputs, resolve_scenario(inputs, "base"), [Stress(*flag)])
    run = solve_scenario(inputs, scenario, SolveOptions())
    assert run.tables.objective == pytest.approx(expected, rel=EXACT)


def test_stress_at_a_period_keeps_the_rule_in_force_before_it(book):
    """A workbook rule halves approval everywhere; `--ban China:Dy@P3` keeps it in P1..P2
    and bans from P3."""
    rule = "[Controls]\ncountry | item | approval\nChina | Dy | 0.5\n"
    inputs = load_inputs(book(CHINA_OR_AUSTRALIA, rule))
    scenario = apply_stress(
        inputs, resolve_scenario(inputs, "base"), [Stress("ban", "China:Dy@P3")]
    )
    windows = scenario.rules[["approval", "from_t", "to_t"]].values.tolist()
    assert windows == [[0.5, 0, 1], [0.0, 2, 2]]


def test_stress_flag_with_an_unknown_period_is_an_input_error(book):
    inputs = load_inputs(book(CHINA_OR_AUSTRALIA))
    base = resolve_scenario(inputs, "base")
    with pytest.raises(InputError) as error:
        apply_stress(inputs, base, [Stress("ban", "China:Dy@2031-01")])
    (problem,) = error.value.errors
    assert problem.message.startswith("--ban China:Dy@2031-01: '2031-01' is not in Periods")


def test_the_check_verifies_per_period_values(solve_text):
    """A plan row whose approval, licence flag or landed cost is that of another period,
    or a Stock cover that does not match, fails the independent check."""
    rule = """
[Controls]
country | item | approval | from_period
China   | Dy   | 0.5      | P2
"""
    run = solve_text(CHINA_OR_AUSTRALIA, rule)
    inputs, scenario = run.instance.inputs, run.instance.scenario
    assert checks.check_plan(inputs, scenario, run.tables) == []
    plan = run.tables.plan.copy()
    plan["approval"] = 0.5
    plan["licensed"] = "yes"
    plan["landed_cost"] += 1
    stock = run.tables.stock.assign(cover_needed=run.tables.stock["cover_needed"] + 1)
    tampered = dataclasses.replace(run.tables, plan=plan, stock=stock)
    found = checks.check_plan(inputs, scenario, tampered)
    for kind in ("approval:", "licensed:", "landed cost:", "cover:"):
        assert any(text.startswith(kind) for text in found), (kind, found)


def test_a_window_that_moved_is_an_input_change(book):
    old = load_inputs(book(CHINA_OR_AUSTRALIA, BAN_FROM_P2))
    new = load_inputs(book(CHINA_OR_AUSTRALIA, BAN_FROM_P2.replace("P2", "P3")))
    changes = input_changes(old, new)
    moved = changes[changes["input"] == "Controls"]
    assert moved[["field", "old", "new"]].values.tolist() == [["from_period", "P2", "P3"]]
    assert input_changes(old, old).empty


def test_open_windows_do_not_move_when_the_horizon_rolls(book):
    rule = "[Controls]\ncountry | item | approval\nChina | Dy | 0.5\n"
    old = load_inputs(book(CHINA_OR_AUSTRALIA, rule))
    new = load_inputs(book(CHINA_OR_AUSTRALIA, P4, rule))
    assert not (input_changes(old, new)["input"] == "Controls").any()


def test_windows_follow_the_period_labels(book):
    inputs = load_inputs(book(CHINA_OR_AUSTRALIA, BAN_FROM_P2))
    assert inputs.controls[["from_t", "to_t"]].values.tolist() == [[1, 2]]


def test_example_builds_dy_stock_before_the_2028_ban():
    """The example's dy-tb-ban-2028: no Chinese Dy or Tb delivered in 2028, Dy oxide stock
    at the end of 2027 well above base's, more held at a higher cost and no demand left unmet."""
    example = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
    inputs = load_inputs(example)
    runs = {
        name: solve_scenario(inputs, resolve_scenario(inputs, name), SolveOptions()).tables
        for name in ("base", "dy-tb-ban-2028")
    }
    plan = runs["dy-tb-ban-2028"].plan
    banned = plan[(plan["country"] == "China") & plan["material"].isin(["Dy oxide", "Tb oxide"])]
    assert not banned["period"].str.startswith("2028").any()
    stock = {name: tables.stock.query("material == 'Dy oxide' and period == '2027-12'")
             ["closing"].sum() for name, tables in runs.items()}  # fmt: skip
    assert stock["dy-tb-ban-2028"] > stock["base"] + 10
    ban, base = runs["dy-tb-ban-2028"].summary, runs["base"].summary
    assert ban.measure("holding") > base.measure("holding")
    assert ban.measure("shortage") == base.measure("shortage") == 0
    assert ban.objective > base.objective
