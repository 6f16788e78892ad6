"""Variants solved on a kept HiGHS model (issues 15, 22): every sample equals its cold solve.

A licence sweep's samples, the review's savings and the robust plan's eev are solved on a
model HiGHS keeps: `models.changes` states each variant's difference, `solver.kept` sets
it. These tests hold every warm result against a cold solve of the variant's own model.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.integer_terms import lp_copy
from models.changes import Change, Rebuild, variant_change
from optimizer import pipeline
from optimizer.domain.derive import derive
from optimizer.domain.draws import LicenceSamples, drawn_positions, sample_scenarios
from optimizer.domain.scenarios import resolve_scenario, scenario_names
from optimizer.domain.stress import Stress, apply_stress
from optimizer.domain.variants import vary
from optimizer.pipeline import Detail, PlanCheckError, keep, solve_scenario, solve_variant
from optimizer.plan.checks import check_plan
from optimizer.plan.residuals import residual_violations
from optimizer.plan.summary import COST_TERMS
from optimizer.plan.values import solution_values
from optimizer.runs import samples as worker
from optimizer.runs.parallel import Task, run_tasks
from optimizer.runs.whatif import MEASURES
from optimizer.solver.highs import NotSolved
from optimizer.solver.kept import KeptModel
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import CscMatrix, StandardForm
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
OPTIONS = SolveOptions(threads=1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The example as an LP (the integer example: `test_an_integer_sweep_is_exact`)."""
    return load_inputs(lp_copy(EXAMPLE, tmp_path_factory.mktemp("warm") / "example-lp.xlsx"))


def warm_runs(inputs, envelope, samples, detail=Detail.PLAN):
    """Every sample solved on one kept model of the envelope (a cold solve refused)."""
    parent = derive(inputs, envelope)
    kept = keep(parent, OPTIONS)
    runs = []
    for sample in samples:
        run = solve_variant(vary(parent, sample), OPTIONS, kept, detail)
        assert run.warm, sample.name
        runs.append(run)
    return runs


@pytest.mark.parametrize("name", ["base", "oct-2025-reinstated", "demand-surge", "dy-tb-ban-2028"])
def test_every_sample_equals_its_cold_solve_and_passes_the_table_check(inputs, name):
    envelope = resolve_scenario(inputs, name)
    samples, _ = sample_scenarios(envelope, 16, seed=5)
    for sample, run in zip(samples, warm_runs(inputs, envelope, samples), strict=True):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert run.summary.objective == pytest.approx(cold.tables.objective, rel=1e-9)
        for measure in MEASURES:
            assert run.summary.measure(measure) == pytest.approx(
                cold.tables.summary.measure(measure), rel=1e-6, abs=1e-6
            ), measure
        assert run.summary.delivery_variables == cold.instance.data.deliveries
        assert check_plan(inputs, sample, run.tables) == []


def test_a_sample_derived_from_its_parent_equals_its_own_derive(inputs):
    """`LicenceSamples` against `derive` of every sample, in every scenario of the example
    (windowed rules included: dy-tb-ban-2028 bans from 2028): every array and table."""
    distinct = {}
    for name in scenario_names(inputs):
        envelope = resolve_scenario(inputs, name)
        parent = LicenceSamples(derive(inputs, envelope))
        samples, _ = sample_scenarios(envelope, 12, seed=11)
        for sample in samples:
            own, mine = derive(inputs, sample), parent.instance(sample)
            for field in dataclasses.fields(own.data):
                theirs, ours = getattr(own.data, field.name), getattr(mine.data, field.name)
                assert np.array_equal(theirs, ours, equal_nan=True), field.name
            pd.testing.assert_frame_equal(mine.deliveries, own.deliveries, check_dtype=False)
            pd.testing.assert_frame_equal(mine.pairs, own.pairs, check_dtype=False)
            assert mine.scenario is sample and mine.warnings == []
            kept = parent.kept(sample)
            assert np.array_equal(parent.parent.data.offer[kept], own.data.offer)
        distinct[name] = len({sample.draw for sample in samples})
    assert distinct["base"] > 1 and distinct["dy-tb-ban-2028"] > 1


def test_stressed_sweep_stays_warm_and_exact(inputs):
    """Stress flags change costs, delays and capacities of the envelope itself."""
    base = resolve_scenario(inputs, "base")
    flags = [Stress("tariff", "China=+0.25"), Stress("capacity", "Burma:*=0.5")]
    envelope = apply_stress(inputs, base, flags, 1.1)
    samples, _ = sample_scenarios(envelope, 12, seed=2)
    for sample, run in zip(samples, warm_runs(inputs, envelope, samples), strict=True):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert run.summary.objective == pytest.approx(cold.tables.objective, rel=1e-9)


def test_a_repeated_draw_is_solved_once(inputs):
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 40, seed=3)
    worker.forget_sweep_worker()
    results = [worker.solve_sample(inputs, envelope, i, s, OPTIONS) for i, s in enumerate(samples)]
    distinct = {sample.draw for sample in samples}
    assert len(worker.sweep_worker().solved) == len(distinct) < len(samples)
    first = {}
    for sample, result in zip(samples, results, strict=True):
        assert result.scenario == result.summary.scenario == sample.name
        assert result.summary.objective == first.setdefault(sample.draw, result.summary.objective)
    assert [result.index for result in results] == list(range(len(samples)))


def implied_sweep(inputs, envelope, samples, monkeypatch) -> tuple[list, int]:
    """The samples solved as a sweep solves them (most approvals first), and how many
    were solved by HiGHS rather than taken from a draw that implies them."""
    solves = []
    real = worker.solve_variant
    monkeypatch.setattr(worker, "solve_variant", lambda *a, **k: solves.append(1) or real(*a, **k))
    worker.forget_sweep_worker()
    results = {
        i: worker.solve_sample(inputs, envelope, i, samples[i], OPTIONS)
        for i in worker.solve_order(samples)
    }
    return [results[i] for i in range(len(samples))], len(solves)


@pytest.mark.parametrize("name", ["base", "dy-tb-ban-2028"])
def test_a_draw_implied_by_an_earlier_one_takes_its_plan_exactly(inputs, name, monkeypatch):
    """A draw that denies all an earlier draw denies, whose plan buys nothing it denies,
    is not solved: that plan is its optimum. Every sample equals its cold solve."""
    envelope = resolve_scenario(inputs, name)
    samples, _ = sample_scenarios(envelope, 30, seed=9)
    results, solves = implied_sweep(inputs, envelope, samples, monkeypatch)
    assert solves < len({sample.draw for sample in samples})  # some draws were implied
    for sample, result in zip(samples, results, strict=True):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert result.summary.objective == pytest.approx(cold.tables.objective, rel=1e-9)
        assert result.summary.scenario == sample.name


def test_an_implied_integer_draw_equals_its_cold_solve_at_the_same_gap(monkeypatch):
    """The integer example (mip_gap 0): an implied draw's plan is its proven optimum."""
    integer = load_inputs(EXAMPLE)
    envelope = resolve_scenario(integer, "base")
    samples, _ = sample_scenarios(envelope, 12, 1, integer.periods)
    results, solves = implied_sweep(integer, envelope, samples, monkeypatch)
    assert solves < len({sample.draw for sample in samples})
    for sample, result in zip(samples, results, strict=True):
        cold = solve_scenario(integer, sample, OPTIONS, analyses=False)
        assert result.summary.objective == pytest.approx(cold.tables.objective, rel=1e-9)


def test_a_plan_that_buys_what_a_draw_denies_is_not_reused(inputs):
    """The all-approved draw's plan buys licensed tonnes; the all-denied draw lacks them."""
    envelope = resolve_scenario(inputs, "base")
    parent = derive(inputs, envelope)
    kept = keep(parent, OPTIONS)
    (sample,), _ = sample_scenarios(envelope, 1, seed=4)
    positions = drawn_positions(envelope)

    def drawn(approved: bool):
        approval = envelope.rules["approval"].to_numpy(float).copy()
        approval[positions] = float(approved)
        rules = envelope.rules.assign(approval=approval)
        return dataclasses.replace(sample, rules=rules, draw=(approved,) * len(positions))

    every, none = drawn(True), drawn(False)
    run = solve_variant(vary(parent, every), OPTIONS, kept, Detail.SUMMARY)
    assert run.summary.licensed_share > 0
    earlier = pipeline.kept_solution(kept, run)
    assert pipeline.reused_plan(kept, vary(parent, none), [earlier]) is None
    same = pipeline.reused_plan(kept, vary(parent, every), [earlier])
    assert same.summary.objective == pytest.approx(run.summary.objective, rel=1e-12)


def test_a_failed_residual_check_is_a_failed_sample_not_a_figure(inputs, monkeypatch):
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 2, seed=1)
    monkeypatch.setattr(pipeline, "residual_violations", lambda *args: ["balance: fails at (0, 0)"])
    parent = derive(inputs, envelope)
    with pytest.raises(PlanCheckError):
        solve_variant(vary(parent, samples[0]), OPTIONS, keep(parent, OPTIONS), Detail.SUMMARY)
    worker.forget_sweep_worker()
    tasks = [Task(0, samples[1], detail=False, envelope=envelope)]
    (result,) = run_tasks(inputs, tasks, OPTIONS, workers=1)
    assert not result.solved
    assert result.status.startswith("Internal error: the plan failed its independent check")
    assert "balance" in result.explanation[0]


@pytest.fixture(scope="module")
def solved_sample(inputs):
    """A sample's data, usable deliveries, values, terms and objective, as a sweep checks them."""
    envelope = resolve_scenario(inputs, "base")
    (sample,), _ = sample_scenarios(envelope, 1, seed=7)
    (run,) = warm_runs(inputs, envelope, [sample], Detail.SUMMARY)
    data, values = run.instance.data, solution_values(run.instance, run.solution)
    usable = np.ones(data.deliveries, dtype=bool)
    terms = {name: float(run.summary.measure(name)) for name in COST_TERMS}
    objective = run.solution.objective
    assert residual_violations(data, values, usable, terms, objective) == []
    return data, values, usable, terms, objective


def _bought(values) -> int:
    return int(np.flatnonzero(values.buy > 1)[0])


def _uncovered(data, values) -> None:
    """A bought delivery made licensed with no stock before it to cover it."""
    data.denial_share[_bought(values)] = 1.0
    data.initial_t[:] = 0.0
    values.stock[:] = 0.0


@pytest.mark.parametrize(
    "tamper, family",
    [
        (lambda d, v, u: v.buy.__setitem__(_bought(v), v.buy[_bought(v)] + 5), "balance"),
        (lambda d, v, u: v.stock.__setitem__((0, 0), -1.0), "sign"),
        (lambda d, v, u: u.__setitem__(_bought(v), False), "not allowed"),
        (lambda d, v, u: d.capacity_t.__setitem__(
            (d.offer[_bought(v)], d.period[_bought(v)]), v.buy[_bought(v)] / 2), "capacity"),
        (lambda d, v, u: d.budget.__setitem__(d.period[_bought(v)], 1.0), "budget"),
        (lambda d, v, u: d.max_t.__setitem__(int(np.argmax(v.stock.max(axis=1))), 0.5), "storage"),
        (lambda d, v, u: d.min_t.__setitem__(0, v.stock[0].max() + 1e3), "floor"),
        (lambda d, v, u: d.target_end_t.__setitem__(0, v.stock[0, -1] + 1e3), "end target"),
        (lambda d, v, u: _uncovered(d, v), "licence cover"),
        (lambda d, v, u: v.shortfall.__setitem__((0, 0), d.demand_t[0, 0] + 5),
         "shortfall above demand"),
    ],
)  # fmt: skip
def test_the_residual_check_catches_each_family(solved_sample, tamper, family):
    data, values, usable, terms, objective = solved_sample
    data = dataclasses.replace(
        data, **{f: getattr(data, f).copy() for f in ("capacity_t", "budget", "max_t", "min_t",
                                                       "target_end_t", "denial_share", "initial_t")}
    )  # fmt: skip
    values = dataclasses.replace(
        values, buy=values.buy.copy(), stock=values.stock.copy(), shortfall=values.shortfall.copy()
    )
    usable = usable.copy()
    tamper(data, values, usable)
    found = residual_violations(data, values, usable, terms, objective)
    assert any(line.startswith(family) for line in found), found


def test_the_residual_check_catches_costs_that_do_not_add_up(solved_sample):
    data, values, usable, terms, objective = solved_sample
    found = residual_violations(data, values, usable, terms, objective * (1 + 1e-5))
    assert found and found[0].startswith("costs")


def test_a_country_share_above_its_cap_is_caught(solved_sample):
    data, values, usable, terms, objective = solved_sample
    assert len(data.share_limit), "the example caps China's share"
    data = dataclasses.replace(data, share_limit=np.zeros_like(data.share_limit))
    touching = np.isin(np.arange(len(values.buy)), data.share_delivery)
    assert (values.buy[touching] > 0).any()
    found = residual_violations(data, values, usable, terms, objective)
    assert any(line.startswith("share") for line in found)


def test_sweep_tasks_on_a_process_pool_equal_the_inline_loop(inputs):
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 8, seed=9)
    tasks = [Task(i, s, detail=False, envelope=envelope) for i, s in enumerate(samples)]
    inline = run_tasks(inputs, tasks, OPTIONS, workers=1)
    pooled = run_tasks(inputs, tasks, OPTIONS, workers=2)
    cold = [solve_scenario(inputs, s, OPTIONS, analyses=False).tables.objective for s in samples]
    assert [r.summary.objective for r in inline] == pytest.approx(cold, rel=1e-9)
    assert [r.summary.objective for r in pooled] == pytest.approx(cold, rel=1e-9)
    assert [r.scenario for r in pooled] == [s.name for s in samples]


def tiny_lp() -> StandardForm:
    """min x + 2y  s.t.  x + y ≥ 3,  0 ≤ x ≤ 2,  0 ≤ y; variables `v`, row `r`."""
    return StandardForm(
        cost=np.array([1.0, 2.0]),
        offset=0.0,
        matrix=CscMatrix.from_rows([1.0, 1.0], [0, 1], [0, 2], (1, 2)),
        row_lower=np.array([3.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.zeros(2),
        col_upper=np.array([2.0, np.inf]),
        columns={"v": (0, 2)},
        row_of={"r": np.array([0])},
        owners=[("r", 0)],
        keys={"v": ["x", "y"], "r": [0]},
    )


# y counts twice in the row, x is free to 3, y costs 0.5, the row needs 4
TWISTED = Change(
    costs={"v": (["y"], np.array([0.5]))},
    bounds={"v": (["x"], np.array([0.0]), np.array([3.0]))},
    rows={"r": ([0], np.array([4.0]), np.array([np.inf]))},
    entries={("r", "v"): ([0], ["y"], [2.0])},
)


def test_kept_model_follows_every_change_and_never_accumulates_one():
    kept = KeptModel(tiny_lp(), OPTIONS)
    assert kept.solve().objective == pytest.approx(2 + 2 * 1)
    twisted = kept.solve(TWISTED)
    assert twisted.objective == pytest.approx(0.5 * 2)
    assert twisted.values["v"].tolist() == pytest.approx([0.0, 2.0])
    assert kept.highs.getInfo().simplex_iteration_count <= 2
    only_cost = Change(costs={"v": (["y"], np.array([0.5]))})
    assert kept.solve(only_cost).objective == pytest.approx(0.5 * 3)
    assert kept.solve().objective == pytest.approx(2 + 2 * 1)  # an empty change restores it


def test_kept_model_reports_infeasibility():
    kept = KeptModel(tiny_lp(), OPTIONS)
    change = Change(bounds={"v": (["x", "y"], np.zeros(2), np.ones(2))})
    with pytest.raises(NotSolved) as caught:
        kept.solve(change)
    assert caught.value.status.startswith("infeasible")
    assert kept.solve().objective == pytest.approx(4.0)


def test_a_change_no_kept_model_can_take_asks_for_a_rebuild(inputs):
    base = derive(inputs, resolve_scenario(inputs, "base"))
    surge = derive(inputs, resolve_scenario(inputs, "demand-surge"))
    kept = keep(base, OPTIONS)
    with pytest.raises(Rebuild, match="demand_t"):
        variant_change(base.data, surge.data, kept.model.keys)
    run = solve_variant(surge, OPTIONS, kept, Detail.SUMMARY)
    assert not run.warm
    cold = solve_scenario(inputs, surge.scenario, OPTIONS, analyses=False)
    assert run.summary.objective == pytest.approx(cold.tables.objective, rel=1e-12)


def test_csc_matrix_sums_repeated_terms_and_finds_entries():
    # row 0: 1·x0 + 2·x2 + 3·x0; row 1: 4·x1
    matrix = CscMatrix.from_rows([1.0, 2.0, 3.0, 4.0], [0, 2, 0, 1], [0, 3, 4], (2, 3))
    assert matrix.toarray().tolist() == [[4.0, 0.0, 2.0], [0.0, 4.0, 0.0]]
    assert matrix.indptr.tolist() == [0, 1, 2, 3]
    found = matrix.positions(np.array([0, 1, 1]), np.array([2, 1, 0]))
    assert found[:2].tolist() == [2, 1]
    assert found[2] == -1
    assert (matrix.tocsr().toarray() == matrix.toarray()).all()


def count_builds():
    """Dask worker hook: count the kept models this worker builds."""
    original = worker.SweepWorker.__init__
    worker.BUILDS = 0

    def counted(self, *args, **kwargs):
        worker.BUILDS += 1
        original(self, *args, **kwargs)

    worker.SweepWorker.__init__ = counted


def builds():
    return worker.BUILDS


def test_each_dask_worker_keeps_one_model(inputs):
    distributed = pytest.importorskip("distributed")
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 12, seed=4)
    tasks = [Task(i, s, detail=False, envelope=envelope) for i, s in enumerate(samples)]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster.scheduler_address) as client,
    ):
        client.run(count_builds)
        results = run_tasks(inputs, tasks, OPTIONS, scheduler=cluster.scheduler_address)
        counts = client.run(builds)
    assert all(result.solved for result in results)
    assert sorted(counts.values()) in ([0, 1], [1, 1])


def test_each_thread_keeps_its_own_model(inputs):
    """A HiGHS model is never shared: a Dask worker's threads each keep their own."""
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 2, seed=1)
    worker.forget_sweep_worker()
    worker.solve_sample(inputs, envelope, 0, samples[0], OPTIONS)
    mine = worker.sweep_worker()
    theirs = []
    thread = threading.Thread(
        target=lambda: theirs.append(
            (worker.solve_sample(inputs, envelope, 1, samples[1], OPTIONS), worker.sweep_worker())
        )
    )
    thread.start()
    thread.join()
    assert mine is not None and theirs[0][1] is not None
    assert theirs[0][1] is not mine
    assert worker.sweep_worker() is mine


def test_an_integer_sweep_is_solved_on_the_kept_model_and_exact():
    """The example with its onboarding terms is a MIP: each sample is a branch and bound
    on the kept model (no new build) and equals `solve_scenario` at the same gap (the
    example's Settings mip_gap, 0: proven optimal)."""
    integer = load_inputs(EXAMPLE)
    envelope = resolve_scenario(integer, "base")
    samples, _ = sample_scenarios(envelope, 3, 3, integer.periods)
    for sample, run in zip(samples, warm_runs(integer, envelope, samples), strict=True):
        cold = solve_scenario(integer, sample, OPTIONS, analyses=False)
        assert run.summary.objective == pytest.approx(cold.tables.objective, rel=1e-9)
        assert run.summary.fixed == cold.tables.summary.fixed > 0
