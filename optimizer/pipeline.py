"""One scenario in one place: derive → build → solve → extract → check.

`solve`, `whatif` and `replan` all go through `solve_scenario`; nothing else builds or
solves a model. The commands around it (reading, writing) live in `commands.py`.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from pyomo.common.gc_manager import PauseGC

from models import components
from models.build import build_model
from optimizer.domain.derive import Instance, derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.plan.checks import check_plan
from optimizer.plan.explain import explain_conflict
from optimizer.plan.savings import savings
from optimizer.plan.tables import PlanTables, plan_tables
from optimizer.problems import NoPlanError, ReoptError
from optimizer.solver.highs import NotSolved, Solution, compile_model, solve_compiled
from optimizer.solver.options import SolveOptions


class PlanCheckError(ReoptError):
    """A solved plan failed its independent check: a bug, never written."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        super().__init__("the plan failed its independent check")

    def lines(self) -> list[str]:
        """The first violations found."""
        head = "Internal error: the plan failed its independent check and was not written:"
        return [head] + ["  - " + text for text in self.violations[:20]]


@dataclass(frozen=True)
class ScenarioRun:
    """One solved scenario with everything the outputs need."""

    instance: Instance
    solution: Solution
    tables: PlanTables
    timings: dict[str, float] = field(default_factory=dict)


COLLECT_COLUMNS = 100_000
"""From this many columns on, the Pyomo model is collected while HiGHS solves.

A Pyomo model lives in reference cycles, so only the cyclic collector frees it. HiGHS
releases the GIL while it solves, so a thread collects meanwhile on the other core and
the model's memory is back before HiGHS needs its own (at 1M deliveries, the peak). On
small models a full collection costs more than the solve and frees little."""

Progress = Callable[[str, float], None] | None
"""Hears (stage, seconds) as each stage of a run ends."""


@contextlib.contextmanager
def timed(timings: dict[str, float], stage: str, progress: Progress = None) -> Iterator[None]:
    """Record the wall time of a stage (and tell `progress`)."""
    started = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - started
    if progress is not None:
        progress(stage, timings[stage])


def _no_plan(instance: Instance, failure: NotSolved, options: SolveOptions) -> NoPlanError:
    if failure.status.startswith("time limit"):
        hint = f"HiGHS stopped after the time limit of {options.time_limit:g} s"
        return NoPlanError(failure.status, [hint + "; raise --time-limit or simplify the model"])
    if failure.status.startswith("infeasible"):
        return NoPlanError(failure.status, explain_conflict(instance, failure.conflict))
    return NoPlanError(failure.status, ["HiGHS ended without an optimal plan"])


def _release() -> None:
    """Collect the dropped Pyomo model and hand the freed heap back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL(None).malloc_trim(0)


def build_and_solve(
    instance: Instance,
    options: SolveOptions,
    timings: dict[str, float],
    progress: Progress = None,
    keep: bool = False,
) -> Solution:
    """Build the Pyomo model, hand it to HiGHS and solve; raise `NotSolved` without a plan.

    The model is dropped once HiGHS has its arrays, before the solve. `keep` keeps the
    solved HiGHS model for the savings re-solves.
    """
    with PauseGC():  # Pyomo builds millions of objects: collections cost 40 % of a build
        with timed(timings, "build", progress):
            model = build_model(instance.data)
        started = time.perf_counter()
        compiled = compile_model(model)
    del model
    if compiled.matrix.shape[1] >= COLLECT_COLUMNS:
        threading.Thread(target=_release, daemon=True).start()
    return solve_compiled(compiled, options, progress, started, release=True, keep=keep)


def solve_scenario(
    inputs: Inputs,
    scenario: Scenario,
    options: SolveOptions,
    progress: Progress = None,
    analyses: bool = True,
) -> ScenarioRun:
    """Derive, build, solve, extract and check one scenario; raise if there is no plan.

    An integer model (SPEC §7) stops at `options.mip_gap`, else Settings `mip_gap`.

    `analyses=False` skips the review tables (for sweeps, which only keep a summary).
    """
    timings: dict[str, float] = {}
    if options.mip_gap is None:
        options = dataclasses.replace(options, mip_gap=inputs.settings.mip_gap)
    with timed(timings, "derive", progress):
        instance = derive(inputs, scenario)
    try:
        solution = build_and_solve(instance, options, timings, progress, keep=analyses)
    except NotSolved as failure:
        raise _no_plan(instance, failure, options) from None
    timings.update(solution.timings)
    return finish_scenario(instance, solution, analyses, timings, progress)


def finish_scenario(
    instance: Instance,
    solution: Solution,
    analyses: bool,
    timings: dict[str, float],
    progress: Progress = None,
) -> ScenarioRun:
    """Extract and check the plan of a solved scenario (cold here, warm in `runs/warm.py`).

    The savings re-solves run first, so that the kept HiGHS model (at 1M deliveries most
    of the memory) is released before the plan tables are built beside it.
    """
    found = None
    if solution.warm is not None:
        warm, solution.warm = solution.warm, None
        with timed(timings, "savings", progress):
            buy = np.asarray(solution.values.get(components.BUY, np.zeros(0)), dtype=float)
            found = savings(instance, solution, buy, lambda r: warm.objective_with(list(r.changes)))
        del warm
    with timed(timings, "extract", progress):
        tables = plan_tables(instance, solution, analyses)
    with timed(timings, "check", progress):
        violations = check_plan(instance.inputs, instance.scenario, tables)
    if violations:
        raise PlanCheckError(violations)
    if found is not None:
        tables = dataclasses.replace(tables, savings=found)
    return ScenarioRun(instance, solution, tables, timings)
