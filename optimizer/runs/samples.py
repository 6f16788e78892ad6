"""A licence sweep's samples, solved on one kept model of their scenario per worker thread.

A sweep solves hundreds of licence draws of one scenario (its *envelope*). A draw turns
the approvals of the envelope's licensed rules to 1 or 0, so a sample is the envelope
with some deliveries removed and approval 1 on the others (`domain.variants.vary`). Each
worker derives the envelope, builds its model and hands it to HiGHS once
(`pipeline.keep`); every sample is then solved on it (`pipeline.solve_variant`: the
change between the two set on the kept model, solved from the previous basis, the
summary read from the arrays and checked family by family). A sample without a plan is
solved again cold, which says why. A draw this worker has solved is not solved again.

Nor is a draw implied by an earlier one: if draw D denies every licence an earlier draw
E denies (and maybe more), D's plans are among E's at the same costs (an approved rule
costs no risk in either), so E's optimal plan, when it buys nothing D denies, is D's
optimal plan, at the same gap. That plan is taken, restricted to D's deliveries and
checked as D's (`pipeline.reused_plan`). Sweeps solve the draws that approve most
first (`solve_order`), so that the later ones find such a plan.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np

from optimizer.domain.derive import Instance, derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.domain.variants import vary
from optimizer.pipeline import (
    Detail,
    Kept,
    ScenarioRun,
    keep,
    kept_solution,
    reused_plan,
    solve_variant,
)
from optimizer.plan.outcomes import TaskResult
from optimizer.problems import ReoptError
from optimizer.runs.results import failed_result, solved_result
from optimizer.solver.highs import Solution
from optimizer.solver.options import SolveOptions

REMEMBERED = 4096
"""Solved draws kept per worker."""
PLANS = 64
"""Solved plans kept per worker for the draws they imply (the first solved: those that
approve most)."""


class SweepWorker:
    """One thread's kept model of a sweep's envelope, and the draws it has solved."""

    def __init__(self, inputs: Inputs, envelope: Scenario, options: SolveOptions) -> None:
        self.inputs, self.envelope, self.options = inputs, envelope, options
        self.instance = derive(inputs, envelope)
        self.kept: Kept | None
        try:
            self.kept = keep(self.instance, options)
        except ReoptError:  # no model for the envelope: each sample alone says why
            self.kept = None
        self.solved: dict[tuple[bool, ...], TaskResult] = {}
        self.plans: list[tuple[np.ndarray, Solution]] = []
        """(approved rules, the kept model's solution) of solved draws"""

    def sample(self, index: int, scenario: Scenario) -> TaskResult:
        """The sample's summary: an earlier draw's plan when it implies this one's, else
        solved on the kept model."""
        started = time.perf_counter()
        draw = scenario.draw
        if draw in self.solved:
            return _renamed(self.solved[draw], index, scenario.name)
        instance = vary(self.instance, scenario)
        try:
            run = self._implied(instance, draw)
            if run is None:
                run = solve_variant(instance, self.options, self.kept, Detail.SUMMARY)
                self._keep_plan(run, draw)
        except ReoptError as error:
            result = failed_result(index, scenario.name, error, started)
        else:
            result = solved_result(index, run, started)
        if len(self.solved) < REMEMBERED and draw is not None:
            self.solved[draw] = result
        return dataclasses.replace(result, index=index)

    def _implied(self, instance: Instance, draw: tuple[bool, ...] | None) -> ScenarioRun | None:
        """The plan of an earlier draw that approves every rule this one approves, when
        it buys nothing this draw denies (see the module's docstring)."""
        if self.kept is None or draw is None:
            return None
        approved = np.array(draw, dtype=bool)
        wider = [solution for earlier, solution in self.plans if (earlier | ~approved).all()]
        return reused_plan(self.kept, instance, wider) if wider else None

    def _keep_plan(self, run: ScenarioRun, draw: tuple[bool, ...] | None) -> None:
        if self.kept is None or draw is None or len(self.plans) >= PLANS:
            return
        solution = kept_solution(self.kept, run)
        if solution is not None:
            self.plans.append((np.array(draw, dtype=bool), solution))


def solve_order(scenarios: list[Scenario]) -> list[int]:
    """The indices of a sweep's draws, those that approve most first (stable)."""
    return sorted(range(len(scenarios)), key=lambda i: -sum(scenarios[i].draw or ()))


def _renamed(result: TaskResult, index: int, name: str) -> TaskResult:
    """A remembered draw reported as another sample."""
    summary = dataclasses.replace(result.summary, scenario=name) if result.summary else None
    return dataclasses.replace(result, index=index, scenario=name, summary=summary, seconds=0.0)


_WORKER = threading.local()
"""This thread's sweep worker (one: a thread serves one sweep at a time; a Dask worker
with several threads keeps one per thread, as a HiGHS model is not shared)."""


def sweep_worker() -> SweepWorker | None:
    """This thread's sweep worker, if it has one."""
    return getattr(_WORKER, "worker", None)


def forget_sweep_worker() -> None:
    """Drop this thread's sweep worker (a benchmark run starts afresh)."""
    _WORKER.worker = None


def _same_scenario(one: Scenario, other: Scenario) -> bool:
    """Whether two scenarios have the same name, demand factor and rules in force."""
    return (
        one.name == other.name
        and one.demand_factor == other.demand_factor
        and one.rules.equals(other.rules)
    )


def solve_sample(
    inputs: Inputs, envelope: Scenario, index: int, scenario: Scenario, options: SolveOptions
) -> TaskResult:
    """Solve `scenario`, a licence draw of `envelope`, on this thread's kept model."""
    worker = sweep_worker()
    if (
        worker is None
        or worker.inputs is not inputs
        or worker.options != options
        or not (worker.envelope is envelope or _same_scenario(worker.envelope, envelope))
    ):
        worker = _WORKER.worker = SweepWorker(inputs, envelope, options)
    return worker.sample(index, scenario)
