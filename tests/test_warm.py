"""Warm re-solves (issue 15): every sample of a sweep equals its cold solve."""

from __future__ import annotations

import threading
from pathlib import Path

import highspy
import numpy as np
import pytest

from optimizer.domain.draws import sample_scenarios
from optimizer.domain.scenarios import resolve_scenario
from optimizer.domain.stress import Stress, apply_stress
from optimizer.pipeline import solve_scenario
from optimizer.plan.checks import check_plan
from optimizer.runs import warm
from optimizer.runs.parallel import Task, run_tasks
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import CscMatrix, StandardForm
from optimizer.solver.warm import KeptModel
from optimizer.workbook.validate import load_inputs
from tests.test_integer import lp_copy

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
OPTIONS = SolveOptions(threads=1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The example as an LP: warm re-solves are for LPs (an integer model is solved cold,
    see `test_an_integer_sweep_is_solved_cold_and_exact`)."""
    return load_inputs(lp_copy(EXAMPLE, tmp_path_factory.mktemp("warm") / "example-lp.xlsx"))


def cold_solves_refused(*args, **kwargs):
    raise AssertionError("the warm path fell back to a cold solve")


def warm_runs(inputs, envelope, samples, monkeypatch):
    """Every sample solved on a fresh kept model, with cold solves refused meanwhile."""
    monkeypatch.setattr(warm, "solve_scenario", cold_solves_refused)
    warm.forget_kept_model()
    runs = [warm.solve_variant(inputs, envelope, sample, OPTIONS) for sample in samples]
    monkeypatch.undo()
    return runs


@pytest.mark.parametrize("name", ["base", "oct-2025-reinstated", "demand-surge"])
def test_every_sample_equals_its_cold_solve(inputs, name, monkeypatch):
    envelope = resolve_scenario(inputs, name)
    samples, _ = sample_scenarios(envelope, 20, seed=5)
    runs = warm_runs(inputs, envelope, samples, monkeypatch)
    for sample, run in zip(samples, runs, strict=True):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert run.tables.objective == pytest.approx(cold.tables.objective, rel=1e-9, abs=1e-9)
        assert check_plan(inputs, sample, run.tables) == []
        assert run.tables.summary["scenario"] == sample.name
        for measure in ("shortfall_t", "purchased_t", "purchase", "risk"):
            assert run.tables.summary[measure] == pytest.approx(
                cold.tables.summary[measure], rel=1e-6, abs=1e-6
            )


def test_stressed_sweep_stays_warm_and_exact(inputs, monkeypatch):
    """Stress flags change costs, delays and capacities of the envelope itself."""
    base = resolve_scenario(inputs, "base")
    flags = [Stress("tariff", "China=+0.25"), Stress("capacity", "Burma:*=0.5")]
    envelope = apply_stress(inputs, base, flags, 1.1)
    samples, _ = sample_scenarios(envelope, 12, seed=2)
    runs = warm_runs(inputs, envelope, samples, monkeypatch)
    for sample, run in zip(samples, runs, strict=True):
        cold = solve_scenario(inputs, sample, OPTIONS, analyses=False)
        assert run.tables.objective == pytest.approx(cold.tables.objective, rel=1e-9)


def test_a_variant_outside_the_envelope_is_solved_cold(inputs):
    """heavy-ban bans more than base: base's deliveries are not all in its model."""
    envelope = resolve_scenario(inputs, "heavy-ban")
    variant = resolve_scenario(inputs, "base")
    warm.forget_kept_model()
    kept = warm.WarmScenario(inputs, envelope, OPTIONS)
    with pytest.raises(warm.OutsideEnvelope):
        kept._positions(warm.derive(inputs, variant).data)
    run = kept.solve(variant)
    cold = solve_scenario(inputs, variant, OPTIONS, analyses=False)
    assert run.tables.objective == cold.tables.objective


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
    warm.solve_variant(inputs, envelope, samples[0], OPTIONS)
    mine = warm.kept_model()
    theirs = []
    thread = threading.Thread(
        target=lambda: theirs.append(
            (warm.solve_variant(inputs, envelope, samples[1], OPTIONS), warm.kept_model())
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
    run = warm.solve_variant(integer, envelope, sample, OPTIONS)
    cold = solve_scenario(integer, sample, OPTIONS, analyses=False)
    assert run.tables.objective == pytest.approx(cold.tables.objective, rel=1e-9)
