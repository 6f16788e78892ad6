"""Known-answer models, small enough to solve by hand: one or more per family of SPEC §2.

Each docstring carries the hand computation; the objective is asserted exactly (to
floating-point rounding), as are the cost terms that make it up.
"""

from __future__ import annotations

import pytest

from optimizer.problems import NoPlanError

EXACT = 1e-9

BASE = """
[Periods]
period
P1
P2

[Materials]
material | shortage_penalty | safety_penalty
M        | 1000             | 0

[Countries]
country | covered
A       | no
B       | no

[Sites]
site
Plant

[Suppliers]
supplier | material | country | capacity | unit_cost
S        | M        | A       | 100      | 10

[Demand]
site  | material | period | quantity
Plant | M        | P1     | 5
Plant | M        | P2     | 5
"""

ONE_PERIOD = """
[Periods]
period
P1

[Demand]
site  | material | period | quantity
Plant | M        | P1     | 10
"""


def objective(run) -> float:
    return run.tables.objective


def terms(run) -> dict[str, float]:
    keys = ("purchase", "tariff", "freight", "risk", "holding", "shortage", "safety")
    return {key: run.tables.summary.measure(key) for key in keys}


# SPEC §2 worked example: Tb oxide from China (tariff 0.5, approval 0.6) or Malaysia.
WORKED_EXAMPLE = """
[Periods]
period
2026-01
2026-02
[Materials]
material | elements | shortage_penalty | safety_penalty | disruption_cost
Tb oxide | Tb       | 1000000          | 50000          | 100000
[Countries]
country  | tariff
China    | 0.5
Malaysia |
[Sites]
site  | end_use
Plant | commercial
[Suppliers]
supplier | material | country  | capacity | unit_cost
CN       | Tb oxide | China    | 100      | 200000
MY       | Tb oxide | Malaysia | 6        | 400000
[Demand]
site  | material | period  | quantity
Plant | Tb oxide | 2026-01 | 10
Plant | Tb oxide | 2026-02 | 10
[Controls]
country | item | approval
China   | Tb   | 0.6
"""


def test_base_buys_demand_at_unit_cost(solve_text):
    """10 t at 10 = 100."""
    assert objective(solve_text(BASE)) == pytest.approx(100, rel=EXACT)


def test_spec_worked_example(solve_text):
    """SPEC §2: 90/7 t in January, 50/7 t in February; 7,057,142.86."""
    run = solve_text(WORKED_EXAMPLE)
    assert objective(run) == pytest.approx(6_800_000 + 50_000 * 36 / 7, rel=EXACT)
    assert terms(run) == pytest.approx(
        {
            "purchase": 4_000_000,
            "tariff": 2_000_000,
            "freight": 0,
            "risk": 800_000,
            "holding": 0,
            "shortage": 0,
            "safety": 50_000 * 36 / 7,
        },
        rel=EXACT,
    )
    plan = run.tables.plan
    assert plan["quantity"].tolist() == pytest.approx([90 / 7, 50 / 7], rel=EXACT)
    assert set(plan["supplier"]) == {"CN"}
    assert plan["licensed"].tolist() == ["yes", "yes"]
    assert plan["approval"].tolist() == pytest.approx([0.6, 0.6])


def test_balance_carries_stock_and_charges_holding(solve_text):
    """Only P1 can deliver: buy 15 − 3 initial = 12 (120); stock 10, 5, 0 at 2/t = 30."""
    run = solve_text(
        BASE,
        """
        [Periods]
        period
        P1
        P2
        P3
        [Materials]
        material | shortage_penalty | holding_cost
        M        | 1000             | 2
        [Suppliers]
        supplier | material | country | capacity | unit_cost | available_to
        S        | M        | A       | 100      | 10        | P1
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 5
        Plant | M        | P2     | 5
        Plant | M        | P3     | 5
        [Stock]
        site  | material | initial
        Plant | M        | 3
        """,
    )
    assert objective(run) == pytest.approx(150, rel=EXACT)
    assert terms(run)["holding"] == pytest.approx(30, rel=EXACT)
    assert run.tables.stock["closing"].tolist() == pytest.approx([10, 5, 0])


def test_capacity_binds_and_its_dual_is_the_saving(solve_text):
    """A (10/t) is capped at 4 t, B (15/t) makes up 6 t: 40 + 30 = 70; A's cap saves 5/t."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 6
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        A1       | M        | A       | 4        | 10
        B1       | M        | B       | 10       | 15
        """,
    )
    assert objective(run) == pytest.approx(70, rel=EXACT)
    capacity = run.tables.capacity.set_index("supplier")
    assert capacity.at["A1", "saving_per_extra_t"] == pytest.approx(5, rel=EXACT)
    assert capacity.at["B1", "saving_per_extra_t"] == pytest.approx(0, abs=EXACT)
    assert capacity.at["A1", "utilisation"] == pytest.approx(1.0)


def test_shortfall_costs_the_shortage_penalty(solve_text):
    """Capacity 6 at 100/t for a demand of 10: 600 + 4 t × 1000 = 4600."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        S        | M        | A       | 6        | 100
        """,
    )
    assert objective(run) == pytest.approx(4600, rel=EXACT)
    assert run.tables.summary.shortfall_t == pytest.approx(4, rel=EXACT)
    assert any("unmet demand" in w.message for w in run.tables.warnings)


DEFAULT_PENALTY = """
[Materials]
material
M
[Sites]
site
Plant
Depot
[Suppliers]
supplier | material | country | capacity | unit_cost | freight
S        | M        | A       | 6        | 100       | 5
[Lanes]
supplier | site  | freight
S        | Depot | 20
"""


def test_default_shortage_penalty_is_ten_times_the_worst_landed_offer(solve_text):
    """Penalty 10 × (100 + max(5, lane 20)) = 1200: 6 × 105 + 4 × 1200 = 5430."""
    run = solve_text(BASE, ONE_PERIOD, DEFAULT_PENALTY)
    assert objective(run) == pytest.approx(5430, rel=EXACT)


def test_settings_shortage_penalty_is_the_fallback(solve_text):
    """Settings shortage_penalty 500: 6 × 105 + 4 × 500 = 2630."""
    settings = """
    [Settings]
    key              | value
    shortage_penalty | 500
    """
    assert objective(solve_text(BASE, ONE_PERIOD, DEFAULT_PENALTY, settings)) == pytest.approx(
        2630, rel=EXACT
    )


def test_shortage_penalty_without_offers_is_one_million(solve_text):
    """No offer of N: 1 t unmet at 1,000,000."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Materials]
        material | shortage_penalty
        M        | 1000
        N        |
        [Demand]
        site  | material | period | quantity
        Plant | N        | P1     | 1
        """,
    )
    assert objective(run) == pytest.approx(1_000_000, rel=EXACT)


@pytest.mark.parametrize(("safety", "expected"), [(30, 80), (3, 58)])
def test_stock_floor_is_kept_when_cheaper_than_its_gap(solve_text, safety, expected):
    """Floor 4, demand 2 + 2 at 10/t. Buying all 4 t in P1 is free (it is used in P2)
    and leaves gaps of 2 t (P1) and 4 t (P2); k t more cost 10k and close 2k t of gap.
    Safety 30: k = 4, 40 + 40 = 80 with no gap. Safety 3: k = 0, 40 + 6 × 3 = 58."""
    run = solve_text(
        BASE,
        f"""
        [Materials]
        material | shortage_penalty | safety_penalty
        M        | 1000             | {safety}
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 2
        Plant | M        | P2     | 2
        [Stock]
        site  | material | min
        Plant | M        | 4
        """,
    )
    assert objective(run) == pytest.approx(expected, rel=EXACT)


def test_storage_max_limits_carried_stock(solve_text):
    """Only P1 delivers; max 5 means 2 + 5 = 7 bought (70) and 1 t short in P2 (1000)."""
    run = solve_text(
        BASE,
        """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | available_to
        S        | M        | A       | 100      | 10        | P1
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 2
        Plant | M        | P2     | 6
        [Stock]
        site  | material | max
        Plant | M        | 5
        """,
    )
    assert objective(run) == pytest.approx(1070, rel=EXACT)
    assert run.tables.stock["closing"].max() == pytest.approx(5)


def test_pipeline_overflowing_storage_has_no_plan(solve_text):
    """10 t already ordered for P1 with no demand cannot fit a max of 5 t."""
    with pytest.raises(NoPlanError) as caught:
        solve_text(
            BASE,
            """
            [Stock]
            site  | material | max
            Plant | M        | 5
            [Demand]
            site  | material | period | quantity
            Plant | M        | P2     | 1
            [Pipeline]
            site  | material | period | quantity
            Plant | M        | P1     | 10
            """,
        )
    text = "\n".join(caught.value.explanation)
    for expected in ("Plant", "M", "P1", "10 t", "5 t", "max"):
        assert expected in text


@pytest.mark.parametrize(("safety", "expected"), [(50, 130), (5, 115)])
def test_end_target_met_when_cheaper_than_its_gap(solve_text, safety, expected):
    """Target 3 t at the end: buying it costs 30, the gap 3 × safety (150 or 15)."""
    run = solve_text(
        BASE,
        f"""
        [Materials]
        material | shortage_penalty | safety_penalty
        M        | 1000             | {safety}
        [Stock]
        site  | material | target_end
        Plant | M        | 3
        """,
    )
    assert objective(run) == pytest.approx(expected, rel=EXACT)


def test_lead_time_delays_the_first_delivery(solve_text):
    """A (10/t) needs 1 period: P1's 4 t come from B (50/t), P2's 6 t from A: 200 + 60."""
    run = solve_text(
        BASE,
        """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | lead_time
        A1       | M        | A       | 100      | 10        | 1
        B1       | M        | B       | 100      | 50        | 0
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 4
        Plant | M        | P2     | 6
        """,
    )
    assert objective(run) == pytest.approx(260, rel=EXACT)
    plan = run.tables.plan.set_index("supplier")
    assert plan.at["A1", "order_by"] == "P1"
    assert plan.at["A1", "period"] == "P2"


def test_availability_window_ends_early(solve_text):
    """A delivers only in P1: it brings P2's 6 t forward too (10 t × 10 = 100)."""
    run = solve_text(
        BASE,
        """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | available_to
        A1       | M        | A       | 100      | 10        | P1
        B1       | M        | B       | 100      | 50        |
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 4
        Plant | M        | P2     | 6
        """,
    )
    assert objective(run) == pytest.approx(100, rel=EXACT)


@pytest.mark.parametrize(("delay_days", "expected"), [(31, 110), (30, 70)])
def test_licence_delay_adds_whole_periods(solve_text, delay_days, expected):
    """period_days 30: 31 days → 2 periods (A only in P3: 50 + 50 + 10),
    30 days → 1 period (A in P2 and P3: 50 + 10 + 10)."""
    run = solve_text(
        BASE,
        f"""
        [Periods]
        period
        P1
        P2
        P3
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        A1       | M        | A       | 100      | 10
        B1       | M        | B       | 100      | 50
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 1
        Plant | M        | P2     | 1
        Plant | M        | P3     | 1
        [Controls]
        country | delay_days
        A       | {delay_days}
        """,
    )
    assert objective(run) == pytest.approx(expected, rel=EXACT)
    assert set(run.tables.plan.loc[run.tables.plan["supplier"] == "A1", "licensed"]) == {"yes"}


def test_lanes_replace_freight_and_forbid_routes(solve_text):
    """A may not serve Plant (B, 20); A serves Depot at lane freight 5: 20 + 15 = 35."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Sites]
        site
        Plant
        Depot
        [Suppliers]
        supplier | material | country | capacity | unit_cost | freight
        A1       | M        | A       | 100      | 10        | 1
        B1       | M        | B       | 100      | 20        |
        [Lanes]
        supplier | material | site  | freight | allowed
        A1       |          | Plant |         | no
        A1       |          | Depot | 5       |
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 1
        Depot | M        | P1     | 1
        """,
    )
    assert objective(run) == pytest.approx(35, rel=EXACT)
    assert terms(run)["freight"] == pytest.approx(5, rel=EXACT)


def test_lane_naming_a_material_wins_over_a_blank_one(solve_text):
    """Blank-material lane says freight 5, the M lane says 2: 10 + 2 = 12."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 1
        [Lanes]
        supplier | material | site  | freight
        S        |          | Plant | 5
        S        | M        | Plant | 2
        """,
    )
    assert objective(run) == pytest.approx(12, rel=EXACT)


def test_defense_sites_never_receive_covered_chains(solve_text):
    """Defense Base: China (10) and Malaysia mined in China (12) excluded, US (20);
    the commercial Plant takes China (10): 30."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Countries]
        country  | covered
        China    | yes
        Malaysia | no
        US       | no
        [Sites]
        site  | end_use
        Plant | commercial
        Base  | Defense
        [Suppliers]
        supplier | material | country  | mined_in | capacity | unit_cost
        CN       | M        | China    |          | 100      | 10
        MY       | M        | Malaysia | China    | 100      | 12
        US1      | M        | US       |          | 100      | 20
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 1
        Base  | M        | P1     | 1
        """,
    )
    assert objective(run) == pytest.approx(30, rel=EXACT)
    plan = run.tables.plan.set_index("site")
    assert plan.at["Base", "supplier"] == "US1"


def test_country_share_caps_every_chain_that_touches_the_country(solve_text):
    """China ≤ 50 %: the Malaysian offer refined in China counts too; 5 t CN + 5 t US."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Countries]
        country  | max_share
        China    | 0.5
        Malaysia |
        US       |
        [Suppliers]
        supplier | material | country  | refined_in | capacity | unit_cost
        CN       | M        | China    |            | 100      | 10
        MY       | M        | Malaysia | China      | 100      | 11
        US1      | M        | US       |            | 100      | 20
        """,
    )
    assert objective(run) == pytest.approx(150, rel=EXACT)
    mix = run.tables.mix.set_index(["material", "country"])
    assert mix.at[("M", "China"), "share"] == pytest.approx(0.5)


def test_budget_caps_landed_spend_including_duty(solve_text):
    """Landed 10 × 1.25 = 12.5/t with a budget of 100: 8 t bought, 7 t short."""
    run = solve_text(
        BASE,
        """
        [Periods]
        period | budget
        P1     | 100
        [Countries]
        country | tariff
        A       | 0.25
        B       |
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 15
        """,
    )
    assert objective(run) == pytest.approx(7100, rel=EXACT)
    assert terms(run)["purchase"] == pytest.approx(80, rel=EXACT)
    assert terms(run)["tariff"] == pytest.approx(20, rel=EXACT)


def test_pipeline_receipts_are_free(solve_text):
    """4 of P1's 5 t are already ordered: buy 1 + 5 = 6 t (60)."""
    run = solve_text(
        BASE,
        """
        [Pipeline]
        site  | material | period | quantity
        Plant | M        | P1     | 4
        """,
    )
    assert objective(run) == pytest.approx(60, rel=EXACT)


def test_cost_factor_tariff_extra_tariff_and_freight(solve_text):
    """c = 100 × 1.2 × (1 + 0.1 + 0.05) + 3 = 141 for 1 t."""
    run = solve_text(
        BASE,
        """
        [Periods]
        period
        P1
        [Countries]
        country | tariff
        A       | 0.1
        B       |
        [Suppliers]
        supplier | material | country | capacity | unit_cost | freight
        S        | M        | A       | 10       | 100       | 3
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 1
        [Controls]
        country | cost_factor | extra_tariff
        A       | 1.2         | 0.05
        """,
    )
    assert objective(run) == pytest.approx(141, rel=EXACT)
    assert terms(run) == pytest.approx(
        {"purchase": 120, "tariff": 18, "freight": 3, "risk": 0, "holding": 0, "shortage": 0,
         "safety": 0},
        rel=EXACT,
    )  # fmt: skip


def test_capacity_factor_scales_offers_whose_chain_touches_the_country(solve_text):
    """Burma-mined offer (cap 10 × 0.5 = 5 at 10/t) plus 3 t from B (20/t): 110."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Countries]
        country
        A
        B
        Burma
        [Suppliers]
        supplier | material | country | mined_in | capacity | unit_cost
        A1       | M        | A       | Burma    | 10       | 10
        B1       | M        | B       |          | 100      | 20
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 8
        [Controls]
        country | capacity_factor
        Burma   | 0.5
        """,
    )
    assert objective(run) == pytest.approx(110, rel=EXACT)


@pytest.mark.parametrize(("initial", "expected"), [(0, 600), (5, 50)])
def test_licence_cover_needs_opening_stock(solve_text, initial, expected):
    """Approval 0.5 at 10/t, safety 100: with no stock the cover gap is 0.5 × 10 = 5 t
    (500 + 100); with 5 t on hand only 5 t are bought and 2.5 t expected denied are covered."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        f"""
        [Materials]
        material | elements | shortage_penalty | safety_penalty
        M        | Dy       | 1000             | 100
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        A1       | M        | A       | 100      | 10
        B1       | M        | B       | 100      | 100
        [Stock]
        site  | material | initial
        Plant | M        | {initial}
        [Controls]
        country | item | approval
        A       | Dy   | 0.5
        """,
    )
    assert objective(run) == pytest.approx(expected, rel=EXACT)


def test_risk_weight_scales_the_risk_cost(solve_text):
    """λ = 2, approval 0.75, disruption 40: r = 2 × 0.25 × 40 = 20/t on 10 t = 200
    (safety penalty 0, so the licence-cover gap is free)."""
    run = solve_text(
        BASE,
        ONE_PERIOD,
        """
        [Settings]
        key         | value
        risk_weight | 2
        [Materials]
        material | shortage_penalty | safety_penalty | disruption_cost
        M        | 1000             | 0              | 40
        [Controls]
        country | approval
        A       | 0.75
        """,
    )
    assert terms(run)["risk"] == pytest.approx(200, rel=EXACT)
    assert objective(run) == pytest.approx(100 + 200, rel=EXACT)


SCENARIOS = """
[Materials]
material | elements | shortage_penalty | safety_penalty | disruption_cost
Tb oxide | Tb       | 100000           | 0              | 10
[Countries]
country
China
Malaysia
[Suppliers]
supplier | material | country  | capacity | unit_cost
CN       | Tb oxide | China    | 100      | 10
MY       | Tb oxide | Malaysia | 100      | 30
[Demand]
site  | material | period | quantity
Plant | Tb oxide | P1     | 10
[Scenarios]
scenario | parent | demand_factor
ban      |        |
relief   | base   |
heavy    |        | 1.5
heavier  | heavy  | 2
[Controls]
scenario | country | item | approval
base     | China   | Tb   | 0.5
ban      | China   | Tb   | 0
relief   | China   | Tb   | 1
"""


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("base", 150),  # CN at 10 + risk 0.5 × 10 = 15/t
        ("ban", 300),  # China Tb replaced by approval 0: MY at 30/t
        ("relief", 100),  # replaced by approval 1: no risk
        ("heavy", 225),  # 15 t at 15/t
        ("heavier", 450),  # 1.5 × 2 = 3 × demand, inherits base's rule: 30 t at 15/t
    ],
)
def test_scenario_overrides_by_key_and_multiplies_demand_factors(solve_text, scenario, expected):
    """Rules of a descendant replace the same (country, item, end_use) key."""
    run = solve_text(BASE, ONE_PERIOD, SCENARIOS, scenario=scenario)
    assert objective(run) == pytest.approx(expected, rel=EXACT)
