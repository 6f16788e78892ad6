"""Licence sweeps on a kept HiGHS model (issue 15): every sample equals its cold solve."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest

from benchmarks.integer_terms import lp_copy
from models import components
from optimizer.domain.derive import derive
from optimizer.domain.draws import LicenceSamples, sample_scenarios
from optimizer.domain.scenarios import resolve_scenario, scenario_names
from optimizer.domain.stress import Stress, apply_stress
from optimizer.pipeline import PlanCheckError, finish_scenario, solve_scenario
from optimizer.plan.checks import check_plan
from optimizer.plan.residuals import residual_violations
from optimizer.runs import warm
from optimizer.runs.parallel import Task, run_tasks
from optimizer.runs.whatif import MEASURES
from optimizer.solver.highs import Solution
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import CscMatrix, StandardForm
from optimizer.solver.warm import KeptModel
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
OPTIONS = SolveOptions(threads=1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The example as an LP: warm re-solves are for LPs (an integer model is solved cold,
    see `test_an_integer_sweep_is_solved_cold_and_exact`)."""
    return load_inputs(lp_copy(EXAMPLE, tmp_path_factory.mktemp("warm") / "example-lp.xlsx"))


def cold_solves_refused(*args, **kwargs):
    raise AssertionError("the warm path fell back to a cold solve")


def warm_plan(kept: warm.WarmScenario, sample) -> tuple[object, Solution]:
    """The plan HiGHS holds after `sample`'s re-solve, as the sample's own cold-derived
    instance and a solution of its deliveries (for the table check of `plan.checks`)."""
    instance = derive(kept.inputs, sample)
    values = np.asarray(kept.kept.highs.getSolution().col_value)
    envelope = kept.instance.data
    key = lambda data: (data.offer * data.points + data.point) * data.periods + data.period  # noqa: E731
    position = {k: i for i, k in enumerate(key(envelope).tolist())}
    mine = np.asarray([position[k] for k in key(instance.data).tolist()], dtype=np.int64)
    outside = np.setdiff1d(np.arange(envelope.deliveries), mine)
    assert np.abs(values[kept.buy + outside]).max(initial=0) == 0
    solution = Solution(objective=kept.kept.highs.getInfo().objective_function_value, seconds=0)
    solution.values[components.BUY] = values[kept.buy + mine]
    solution.keys[components.BUY] = list(range(instance.data.deliveries))
    for field, ((start, end), _) in kept.grids.items():
        name = warm.GRIDS[field]
        solution.values[name], solution.keys[name] = values[start:end], kept.compiled.keys[name]
    return instance, solution


def swept(inputs, envelope, samples, monkeypatch):
    """Every sample solved on a fresh kept model (cold solves refused), with the plan each
    re-solve left in HiGHS."""
    monkeypatch.setattr(warm, "solve_scenario", cold_solves_refused)
    warm.forget_kept_model()
    found = []
    for index, sample in enumerate(samples):
        result = warm.solve_sample(inputs, envelope, index, sample, OPTIONS)
        found.append((result, warm_plan(warm.kept_model(), sample)))
    monkeypatch.undo()
    return found


@pytest.mark.parametrize("name", ["base", "oct-2025-reinstated", "demand-surge", "dy-tb-ban-2028"])
def test_every_sample_equals_its_cold_solve_and_passes_the_table_check(inputs, name, monkeypatch):
    envelope = resolve_scenario(inputs, name)
    samples, _ = sample_scenarios(envelope, 16, seed=5)
    for sample, (result, (instance, solution)) in zip(
        samples, swept(inputs, envelope, samples, monkeypatch), strict=True
    ):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert result.status == "optimal" and result.scenario == sample.name
        assert result.summary["objective"] == pytest.approx(cold.tables.objective, rel=1e-9)
        for measure in MEASURES:
            assert result.summary[measure] == pytest.approx(
                cold.tables.summary[measure], rel=1e-6, abs=1e-6
            ), measure
        assert result.summary["delivery_variables"] == cold.instance.data.deliveries
        tonnes = np.bincount(cold.instance.data.offer, cold.solution.values[components.BUY],
                             len(inputs.offers))  # fmt: skip
        assert result.usage == pytest.approx(tonnes, abs=1e-6)
        tables = finish_scenario(instance, solution, False, {}).tables
        assert check_plan(inputs, sample, tables) == []


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


def test_stressed_sweep_stays_warm_and_exact(inputs, monkeypatch):
    """Stress flags change costs, delays and capacities of the envelope itself."""
    base = resolve_scenario(inputs, "base")
    flags = [Stress("tariff", "China=+0.25"), Stress("capacity", "Burma:*=0.5")]
    envelope = apply_stress(inputs, base, flags, 1.1)
    samples, _ = sample_scenarios(envelope, 12, seed=2)
    for sample, (result, _) in zip(
        samples, swept(inputs, envelope, samples, monkeypatch), strict=True
    ):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert result.summary["objective"] == pytest.approx(cold.tables.objective, rel=1e-9)


def test_a_repeated_draw_is_solved_once(inputs):
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 40, seed=3)
    warm.forget_kept_model()
    results = [warm.solve_sample(inputs, envelope, i, s, OPTIONS) for i, s in enumerate(samples)]
    kept = warm.kept_model()
    distinct = {sample.draw for sample in samples}
    assert len(kept.solved) == len(distinct) < len(samples)
    first = {}
    for sample, result in zip(samples, results, strict=True):
        assert result.scenario == result.summary["scenario"] == sample.name
        assert result.summary["objective"] == first.setdefault(
            sample.draw, result.summary["objective"]
        )
    assert [result.index for result in results] == list(range(len(samples)))


def test_a_failed_residual_check_is_a_failed_sample_not_a_figure(inputs, monkeypatch):
    envelope = resolve_scenario(inputs, "base")
    samples, _ = sample_scenarios(envelope, 2, seed=1)
    monkeypatch.setattr(warm, "residual_violations", lambda *args: ["balance: fails at (0, 0)"])
    warm.forget_kept_model()
    with pytest.raises(PlanCheckError):
        warm.solve_sample(inputs, envelope, 0, samples[0], OPTIONS)
    tasks = [Task(0, samples[1], detail=False, envelope=envelope)]
    (result,) = run_tasks(inputs, tasks, OPTIONS, workers=1)
    assert not result.solved
    assert result.status.startswith("Internal error: the plan failed its independent check")
    assert "balance" in result.explanation[0]


@pytest.fixture(scope="module")
def solved_sample(inputs):
    """A sample's data, usable deliveries, values, terms and objective, as the sweep checks them."""
    envelope = resolve_scenario(inputs, "base")
    (sample,), _ = sample_scenarios(envelope, 1, seed=7)
    kept = warm.WarmScenario(inputs, envelope, OPTIONS)
    kept.sample(0, sample)
    result = kept.kept.solve()
    values = kept._values(result)
    usable = kept.samples.kept(sample)
    from optimizer.plan.tables import COST_TERMS, plan_measures

    measures = plan_measures(kept.sampled, values, result.objective, usable)
    terms = {name: measures[name] for name in COST_TERMS}
    assert residual_violations(kept.data, values, usable, terms, result.objective) == []
    return kept.data, values, usable, terms, result.objective


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
    ],
)  # fmt: skip
def test_the_residual_check_catches_each_family(solved_sample, tamper, family):
    data, values, usable, terms, objective = solved_sample
    data = dataclasses.replace(
        data, **{f: getattr(data, f).copy() for f in ("capacity_t", "budget", "max_t", "min_t",
                                                       "target_end_t", "denial_share", "initial_t")}
    )  # fmt: skip
    values = dataclasses.replace(values, buy=values.buy.copy(), stock=values.stock.copy())
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
    assert [r.summary["objective"] for r in inline] == pytest.approx(cold, rel=1e-9)
    assert [r.summary["objective"] for r in pooled] == pytest.approx(cold, rel=1e-9)
    assert [r.scenario for r in pooled] == [s.name for s in samples]


def tiny_lp() -> StandardForm:
    """min x + 2y  s.t.  x + y ≥ 3,  0 ≤ x ≤ 2,  0 ≤ y."""
    return StandardForm(
        cost=np.array([1.0, 2.0]),
        offset=0.0,
        matrix=CscMatrix.from_rows([1.0, 1.0], [0, 1], [0, 2], (1, 2)),
        row_lower=np.array([3.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.zeros(2),
        col_upper=np.array([2.0, np.inf]),
    )


def test_kept_model_follows_every_change():
    lp = tiny_lp()
    kept = KeptModel(lp, OPTIONS, (np.array([0]), np.array([1])))
    assert kept.solve().objective == pytest.approx(2 + 2 * 1)
    # y now counts twice in the row, x is free to 3, y costs 0.5, the row needs 4
    kept.change(
        np.array([1.0, 0.5]),
        (np.zeros(2), np.array([3.0, np.inf])),
        (np.array([4.0]), np.array([np.inf])),
        np.array([2.0]),
    )
    result = kept.solve()
    assert result.optimal
    assert result.objective == pytest.approx(0.5 * 2)
    assert result.col_value.tolist() == pytest.approx([0.0, 2.0])
    assert kept.highs.getInfo().simplex_iteration_count <= 2


def test_kept_model_reports_infeasibility():
    kept = KeptModel(tiny_lp(), OPTIONS, (np.zeros(0, int), np.zeros(0, int)))
    kept.change(
        np.array([1.0, 2.0]),
        (np.zeros(2), np.array([1.0, 1.0])),
        (np.array([3.0]), np.array([np.inf])),
        np.zeros(0),
    )
    result = kept.solve()
    assert not result.optimal
    assert result.status.startswith("infeasible")
    assert kept.highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible


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
    original = warm.WarmScenario.__init__
    warm.BUILDS = 0

    def counted(self, *args, **kwargs):
        warm.BUILDS += 1
        original(self, *args, **kwargs)

    warm.WarmScenario.__init__ = counted


def builds():
    return warm.BUILDS


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
    warm.forget_kept_model()
    warm.solve_sample(inputs, envelope, 0, samples[0], OPTIONS)
    mine = warm.kept_model()
    theirs = []
    thread = threading.Thread(
        target=lambda: theirs.append(
            (warm.solve_sample(inputs, envelope, 1, samples[1], OPTIONS), warm.kept_model())
        )
    )
    thread.start()
    thread.join()
    assert mine is not None and theirs[0][1] is not None
    assert theirs[0][1] is not mine
    assert warm.kept_model() is mine


def test_an_integer_sweep_is_solved_cold_and_exact():
    """The example with its onboarding terms is a MIP: each sample falls back to a cold
    solve (warm re-solves keep no branch and bound) and equals `solve_scenario`."""
    integer = load_inputs(EXAMPLE)
    envelope = resolve_scenario(integer, "base")
    (sample,), _ = sample_scenarios(envelope, 1, 3, integer.periods)
    warm.forget_kept_model()
    result = warm.solve_sample(integer, envelope, 0, sample, OPTIONS)
    assert warm.kept_model().kept is None
    cold = solve_scenario(integer, sample, OPTIONS, analyses=False)
    assert result.summary["objective"] == pytest.approx(cold.tables.objective, rel=1e-9)
    assert result.summary["fixed"] == cold.tables.summary["fixed"] > 0
