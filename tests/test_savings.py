"""Savings of stated relaxations: every saving shown equals an independent re-solve.

The reference re-solve takes the scenario's Instance, changes a copy of its ModelData
with `dataclasses.replace` as the relaxation's words say, rebuilds the Pyomo model and
solves it cold; the saving shown (found on the warm model) must match it to 1e-6.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models.build import build_model
from optimizer.domain.derive import Instance, storage_sites
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.plan import savings as review
from optimizer.plan.savings import ESTIMATED, RESOLVED
from optimizer.solver.highs import Solution
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.solving import solve_model
from tests.test_known_answers import BASE

EXACT = 1e-6


def resolved(instance: Instance, fixed: Solution | None = None, **changes: np.ndarray) -> float:
    """The optimal objective of the instance with some of its ModelData replaced; the
    binaries of an integer plan fixed at `fixed`'s choice (SPEC §7, docs/review.md)."""
    model = build_model(dataclasses.replace(instance.data, **changes))
    for name in ("onboard", "lot"):
        for var, value in zip(getattr(model, name).values(), fixed.values[name] if fixed else [],
                              strict=True):  # fmt: skip
            var.fix(round(float(value)))
    return solve_model(model).objective


def _where(mask: np.ndarray, array: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    changed = array.copy()
    changed[mask] = value if np.isscalar(value) else value[mask]
    return changed


def stated(instance: Instance, limit: str, subject: str) -> dict[str, np.ndarray]:
    """The ModelData change that a Savings row's words state, built from names."""
    data, points = instance.data, instance.points
    if limit == "supplier capacity":
        supplier, material = subject.split(" / ")
        offer = np.flatnonzero((instance.offers["supplier"] == supplier).to_numpy()
                               & (instance.offers["material"] == material).to_numpy())  # fmt: skip
        mask = np.zeros(data.capacity_t.shape, dtype=bool)
        mask[offer] = True
        return {"capacity_t": _where(mask, data.capacity_t, data.capacity_t * 1.1)}
    if limit in ("stock floor", "storage max"):
        site, material = subject.split(" / ")
        mask = ((points["site"] == site) & (points["material"] == material)).to_numpy()
        if limit == "stock floor":
            return {"min_t": _where(mask, data.min_t, 0.0)}
        return {"max_t": _where(mask, data.max_t, data.max_t * 1.1)}
    if limit == "period budget":
        mask = np.asarray(instance.inputs.periods) == subject.removeprefix("budget of ")
        return {"budget": _where(mask, data.budget, data.budget * 1.1)}
    if limit == "recipe capacity":
        name, site = subject.split(" at ")
        recipes = instance.inputs.recipes
        r = np.flatnonzero((recipes.index == name) & (recipes["site"] == site).to_numpy())
        mask = np.zeros(data.recipe_capacity.shape, dtype=bool)
        mask[r] = True
        return {"recipe_capacity": _where(mask, data.recipe_capacity, data.recipe_capacity * 1.1)}
    if limit == "site storage":
        sites = storage_sites(instance.inputs, points).index
        mask = np.asarray(sites == subject)
        return {"storage_limit": _where(mask, data.storage_limit, data.storage_limit * 1.1)}
    if limit == "take-or-pay volume":
        supplier, material = subject.split(" / ")
        offers = instance.offers.iloc[data.contract_offer]
        mask = ((offers["supplier"] == supplier) & (offers["material"] == material)).to_numpy()
        return {
            "contract_total_t": _where(mask, data.contract_total_t, data.contract_total_t * 0.9)
        }
    assert limit == "country share cap", limit
    country, material = subject.split(" share of ")
    mask = (
        (instance.shares["country"] == country) & (instance.shares["material"] == material)
    ).to_numpy()
    return {"share_limit": _where(mask, data.share_limit, np.minimum(data.share_limit + 0.05, 1.0))}


def assert_savings_are_exact(run) -> set[str]:
    """Every Savings row equals the objective minus the stated re-solve; returns the kinds."""
    savings = run.tables.savings
    assert len(savings), "no binding limit"
    assert set(savings["basis"]) == {RESOLVED}, "a small model's re-solves fit the budget"
    for row in savings.itertuples():
        after = resolved(run.instance, run.solution, **stated(run.instance, row.limit, row.subject))
        assert row.objective_after == pytest.approx(after, rel=EXACT, abs=EXACT)
        assert row.saving == pytest.approx(run.tables.objective - after, rel=EXACT, abs=EXACT)
    assert list(savings["saving"]) == sorted(savings["saving"], reverse=True)
    return set(savings["limit"])


@pytest.mark.parametrize("scenario", ["base", "heavy-ban"])
def test_example_savings_equal_a_cold_re_solve(scenario):
    inputs = load_inputs("inputs/example.xlsx")
    run = solve_scenario(inputs, resolve_scenario(inputs, scenario), SolveOptions())
    kinds = assert_savings_are_exact(run)
    assert {"supplier capacity", "stock floor", "country share cap"} <= kinds


def test_the_issue_s_defense_floor_saves_what_removing_it_saves():
    """Issue 16: the 0.3 t Tb oxide floor of the Defense program was shown to save
    4,776,000 (a dual × 1 t); removing it saved 291,621 in the LP example of the issue,
    291,521 with the onboarding decisions of the integer example (issue 13) kept, and
    saves 291,313 since the example's Dy and NdPr price paths (issue 25)."""
    inputs = load_inputs("inputs/example.xlsx")
    run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())
    savings = run.tables.savings.set_index(["limit", "subject"])
    row = savings.loc[("stock floor", "Defense program (Arizona) / Tb oxide")]
    assert row["relaxation"] == "remove the stock floor of 0.300 t"
    assert row["saving"] == pytest.approx(291_313, abs=1)


STORAGE = """
[Stock]
site  | material | max
Plant | M        | 5
"""
BUDGET = """
[Periods]
period | budget
P1     | 50
P2     |
"""


@pytest.mark.parametrize(("limit", "sheet"), [("storage max", STORAGE), ("period budget", BUDGET)])
def test_budget_and_storage_savings_equal_a_cold_re_solve(solve_text, limit, sheet):
    """P2's 6 t are only buyable in P1 at 10/t (shortage 1000/t). Storage of 5 t, or a
    P1 budget of 50 (5 t), binds: +10 % of either brings 0.5 t more, saving 0.5 × 990."""
    run = solve_text(BASE, """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | available_to
        S        | M        | A       | 100      | 10        | P1
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 2
        Plant | M        | P2     | 6
        """, sheet)  # fmt: skip
    assert assert_savings_are_exact(run) == {limit}
    assert run.tables.savings["saving"].item() == pytest.approx(0.5 * (1000 - 10), rel=EXACT)


def test_a_share_cap_of_zero_is_relaxed_to_five_points(solve_text):
    """China capped at 0 % of 10 t: at 5 % it ships 0.5 t at 10 instead of 20 from US1."""
    run = solve_text(BASE, """
        [Periods]
        period
        P1
        [Countries]
        country | max_share
        China   | 0
        US      |
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        CN       | M        | China   | 100      | 10
        US1      | M        | US      | 100      | 20
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 10
        """)  # fmt: skip
    assert assert_savings_are_exact(run) == {"country share cap"}
    assert run.tables.savings["saving"].item() == pytest.approx(0.5 * 10, rel=EXACT)


def test_the_kept_highs_model_is_released_before_the_plan_tables_are_built(monkeypatch):
    """At 1M deliveries the solved HiGHS model is most of the memory: the savings
    re-solves run first and the model is dropped before the tables are built beside it."""
    import gc

    import optimizer.pipeline as pipeline
    from optimizer.solver.kept import KeptModel

    def alive() -> set[int]:
        gc.collect()
        return {id(found) for found in gc.get_objects() if isinstance(found, KeptModel)}

    before = alive()  # kept models of other tests in this process (a sweep worker's)
    seen = []
    build_tables = pipeline.plan_tables

    def tables(instance, solution, analyses):
        seen.append(len(alive() - before))
        return build_tables(instance, solution, analyses)

    monkeypatch.setattr(pipeline, "plan_tables", tables)
    inputs = load_inputs("inputs/example.xlsx")
    run = pipeline.solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())
    assert seen == [0]
    assert len(run.tables.savings) > 0


def test_relaxations_past_the_time_budget_are_estimated_and_bound_the_re_solve(monkeypatch):
    """At 1M deliveries a re-solve costs almost a solve: past the budget a relaxation is
    reported at marginal value × step, says so, and (but for a share cap, whose step
    moves coefficients) is at least what the re-solve saves."""
    inputs = load_inputs("inputs/example.xlsx")
    scenario = resolve_scenario(inputs, "base")
    exact = solve_scenario(inputs, scenario, SolveOptions()).tables.savings
    monkeypatch.setattr(review, "BUDGET_FLOOR_SECONDS", 0.0)
    monkeypatch.setattr(review, "BUDGET_SHARE", 0.0)
    run = solve_scenario(inputs, scenario, SolveOptions())
    estimated = run.tables.savings
    assert set(estimated["basis"]) == {ESTIMATED}
    both = exact.merge(estimated, on=["limit", "subject"], suffixes=("", "_estimated"))
    assert len(both) == len(exact) == len(estimated)
    after = run.tables.objective - both["saving_estimated"]
    assert both["objective_after_estimated"].to_numpy() == pytest.approx(after.to_numpy())
    level = both[both["limit"] != "country share cap"]
    assert len(level) and (level["saving_estimated"] >= level["saving"] - 1e-6).all()
    assert (level["saving_estimated"] > level["saving"] + 1).any(), "the bound is never tight"
    assert list(estimated["saving"]) == sorted(estimated["saving"], reverse=True)


def test_the_budget_follows_the_solve_with_a_floor():
    assert review.budget_seconds(0.1) == review.BUDGET_FLOOR_SECONDS
    assert review.budget_seconds(100.0) == pytest.approx(review.BUDGET_SHARE * 100.0)


def test_large_models_are_reviewed_without_ranging(monkeypatch):
    """From `RANGING_COLUMNS` on, HiGHS's ranging (a fifth of an L solve) is skipped: the
    Limits keep their marginal values and leave `valid_to` blank."""
    import optimizer.pipeline as pipeline

    inputs = load_inputs("inputs/example.xlsx")
    scenario = resolve_scenario(inputs, "base")
    ranged = solve_scenario(inputs, scenario, SolveOptions()).tables.limits
    monkeypatch.setattr(pipeline, "RANGING_COLUMNS", 1)
    unranged = solve_scenario(inputs, scenario, SolveOptions()).tables.limits
    assert ranged["valid_to"].notna().any()
    assert unranged["valid_to"].isna().all()
    assert unranged["saving_per_unit"].tolist() == ranged["saving_per_unit"].tolist()
