"""Every solve in one place: a variant's instance → its model → HiGHS → its plan, checked.

A *variant* is a derived `Instance`: a scenario (its rules, stress flags), a licence
draw of one, a stated relaxation of a limit (the review's savings). `solve_variant`
solves any of them, cold (build, hand off, solve) or on a `Kept` model of another
variant of the same structure (the change between the two, `models.changes`, set on the
model HiGHS holds); then extracts what `detail` asks for and checks it without Pyomo:

    instance ─► (kept? variant_change : build_model ─► standard_form) ─► KeptModel.solve
             ─► values ─► summary | plan tables | review ─► residual or table check

The robust plan's extensive form goes the same way (`solve_robust`). Nothing else
builds a model or calls HiGHS (tests/test_architecture.py); `runs/` orchestrates many
variants through these functions.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from models import components
from models.build import build_model, build_stable_model
from models.changes import Change, Rebuild, variant_change
from models.robust import RobustData, ScenarioData, build_robust, fixed_decisions
from models.stability import StabilityData
from optimizer.domain.derive import Instance, derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.plan.blocks import blocks_in_conflict
from optimizer.plan.checks import check_cost_bound, check_plan
from optimizer.plan.explain import explain_conflict
from optimizer.plan.residuals import residual_violations
from optimizer.plan.savings import Relaxation, budget_seconds, savings
from optimizer.plan.summary import PlanSummary, cost_terms, plan_summary
from optimizer.plan.tables import PlanTables, plan_tables
from optimizer.plan.values import NOISE, solution_values
from optimizer.problems import NoPlanError, ReoptError
from optimizer.solver.highs import NotSolved, Solution
from optimizer.solver.kept import KeptModel
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm, TriviallyInfeasible, standard_form


class PlanCheckError(ReoptError):
    """A solved plan failed its independent check: a bug, never written."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        super().__init__("the plan failed its independent check")

    def lines(self) -> list[str]:
        """The first violations found."""
        head = "Internal error: the plan failed its independent check and was not written:"
        return [head] + ["  - " + text for text in self.violations[:20]]


class Detail(Enum):
    """What a solve extracts and checks."""

    SUMMARY = "summary"
    """the Summary's figures from the solution's arrays, checked family by family
    (`plan.residuals`): a sweep's sample"""
    PLAN = "plan"
    """the plan tables of SPEC §4, checked from the workbook (`plan.checks`)"""
    REVIEW = "review"
    """the plan tables with the review's analyses and its exact savings"""


@dataclass(frozen=True)
class ScenarioRun:
    """One solved variant with everything its outputs need."""

    instance: Instance
    solution: Solution
    summary: PlanSummary
    tables: PlanTables | None = None
    """the plan tables (PLAN and REVIEW detail)"""
    timings: dict[str, float] = field(default_factory=dict)
    warm: bool = False
    """solved on a kept model of another variant"""


@dataclass(frozen=True)
class Kept:
    """A variant's model held by HiGHS, for the variants solved on it."""

    model: KeptModel
    instance: Instance


COLLECT_COLUMNS = 100_000
"""From this many columns on, the Pyomo model is collected while HiGHS solves.

A Pyomo model lives in reference cycles, so only the cyclic collector frees it. HiGHS
releases the GIL while it solves, so a thread collects meanwhile on the other core and
the model's memory is back before HiGHS needs its own (at 1M deliveries, the peak). On
small models a full collection costs more than the solve and frees little."""

RANGING_COLUMNS = 500_000
"""From this many columns on, a review runs without HiGHS's row ranging: the Limits
sheet's `valid_to` stays blank (its note says when). At 1M deliveries ranging took
6.9 s, a fifth of the solve, and 350 MiB, the run's peak (docs/performance.md); the
savings re-solves then price the largest limits exactly, within their own budget."""

REUSE_TOLERANCE = 1e-9
"""Relative: how closely an earlier plan's cost under a variant's terms must match what
it cost, for `reused_plan` to take it as the variant's."""

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


def _release() -> None:
    """Collect the dropped Pyomo model and hand the freed heap back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL(None).malloc_trim(0)


def _handed_over(
    build: Callable[[], pyo.ConcreteModel],
    options: SolveOptions,
    timings: dict,
    progress: Progress,
    once: Detail | None = None,
) -> KeptModel:
    """Build a Pyomo model, translate it and pass it to HiGHS; the Pyomo model is dropped
    (and, when large, collected on the other core) before HiGHS solves. `once`: the model
    is solved once only, with that detail: an LP without a review frees its arrays as
    soon as HiGHS holds them (at 1M deliveries about 100 MB less while HiGHS solves);
    any other LP frees its matrix, whose entries a change then reads from HiGHS."""
    with PauseGC():  # Pyomo builds millions of objects: collections cost 40 % of a build
        with timed(timings, "build", progress):
            model = build()
        with timed(timings, "hand-off", progress):
            try:
                compiled: StandardForm = standard_form(model)
            except TriviallyInfeasible:
                raise NotSolved("infeasible: a hard limit cannot be met by any plan") from None
            del model
            kept = KeptModel(compiled, options)
    columns = len(compiled.cost)
    if once not in (None, Detail.REVIEW) and not compiled.is_mip:
        compiled.release_arrays()
    elif not compiled.is_mip:  # an integer plan's fixed LP is built from the matrix
        compiled.release_matrix()
    if columns >= COLLECT_COLUMNS:
        threading.Thread(target=_release, daemon=True).start()
    return kept


def keep(instance: Instance, options: SolveOptions) -> Kept:
    """Build `instance`'s model and hand it to HiGHS, to solve variants of it on;
    `NoPlanError` when a hard limit without variables already fails. Its variants stop
    at the same gap as a cold solve (SPEC §7)."""
    options = _with_gap(instance, options)
    try:
        model = _handed_over(lambda: build_model(instance.data), options, {}, None)
    except NotSolved as failure:
        raise _no_plan(instance, failure, options) from None
    return Kept(model, instance)


def _no_plan(instance: Instance, failure: NotSolved, options: SolveOptions) -> NoPlanError:
    if failure.status.startswith("time limit"):
        hint = f"HiGHS stopped after the time limit of {options.time_limit:g} s"
        return NoPlanError(failure.status, [hint + "; raise --time-limit or simplify the model"])
    if failure.status.startswith("infeasible"):
        return NoPlanError(failure.status, explain_conflict(instance, failure.conflict))
    return NoPlanError(failure.status, ["HiGHS ended without an optimal plan"])


def _with_gap(instance: Instance, options: SolveOptions) -> SolveOptions:
    """`options` with SPEC §7's gap: the command line's, else Settings `mip_gap`."""
    if options.mip_gap is not None:
        return options
    return dataclasses.replace(options, mip_gap=instance.inputs.settings.mip_gap)


def _on_kept(kept: Kept, instance: Instance) -> tuple[Change, np.ndarray] | None:
    """The change that makes `kept` the variant, or None when it must be built anew."""
    try:
        return variant_change(kept.instance.data, instance.data, kept.model.keys)
    except Rebuild:
        return None


def _restricted(solution: Solution, where: np.ndarray, instance: Instance) -> Solution:
    """A kept model's solution as the variant's own: its deliveries, and the capacity
    rows of the offers and periods in which it has one."""
    values, keys = dict(solution.values), dict(solution.keys)
    duals = dict(solution.duals)
    values[components.BUY] = solution.values[components.BUY][where]
    keys[components.BUY] = list(range(len(where)))
    data = instance.data
    rows = np.asarray(solution.keys.get(components.CAPACITY, []), dtype=np.int64)
    own = np.isin(rows, components.capacity_key(data.offer, data.period, data.periods))
    keys[components.CAPACITY] = rows[own].tolist()
    duals[components.CAPACITY] = solution.duals.get(components.CAPACITY, np.zeros(0))[own]
    return dataclasses.replace(solution, values=values, keys=keys, duals=duals, reduced_costs={})


def solve_variant(
    instance: Instance,
    options: SolveOptions,
    kept: Kept | None = None,
    detail: Detail = Detail.REVIEW,
    progress: Progress = None,
) -> ScenarioRun:
    """Solve one variant, extract what `detail` asks for and check it; `NoPlanError` (with
    the explanation of a cold solve) when it has no plan. With `kept`, the variant is
    solved on that model when a change can make it the variant's (never for REVIEW,
    whose marginal values and savings come from the variant's own model)."""
    options = _with_gap(instance, options)
    warm = None if kept is None or detail is Detail.REVIEW else _on_kept(kept, instance)
    if kept is None or warm is None:
        return _cold(instance, options, detail, progress)
    change, where = warm
    try:
        solution = kept.model.solve(change)
    except NotSolved:  # the cold solve explains why
        return _cold(instance, options, detail, progress)
    solution = _restricted(solution, where, instance)
    return checked_run(instance, solution, detail, dict(solution.timings), progress, warm=True)


def kept_solution(kept: Kept, run: ScenarioRun) -> Solution | None:
    """A variant's solution as the kept model's: its deliveries at their kept positions,
    the kept model's others at 0; None when the variant is not solved on `kept`."""
    found = _on_kept(kept, run.instance)
    if found is None:
        return None
    buy = np.zeros(kept.instance.data.deliveries)
    buy[found[1]] = run.solution.values[components.BUY]
    values = {**run.solution.values, components.BUY: buy}
    keys = {**run.solution.keys, components.BUY: list(range(len(buy)))}
    return dataclasses.replace(run.solution, values=values, keys=keys, timings={})


def reused_plan(
    kept: Kept, instance: Instance, candidates: Iterable[Solution]
) -> ScenarioRun | None:
    """The first of `candidates` (other variants' `kept_solution`s) that is a plan of
    `instance`, as its plan, its summary checked: one that buys nothing the variant lacks
    and costs under the variant's terms what it cost; None when none is. That the plan is
    also the variant's optimum is the caller's argument (a licence draw that denies more
    than an earlier one: its plans are among the earlier draw's, at the same costs;
    `runs.samples`)."""
    found = _on_kept(kept, instance)
    if found is None:
        return None
    where = found[1]
    lacking = np.ones(kept.instance.data.deliveries, dtype=bool)
    lacking[where] = False
    for earlier in candidates:
        if (earlier.values[components.BUY][lacking] > NOISE).any():
            continue
        solution = _restricted(earlier, where, instance)
        objective = sum(cost_terms(instance, solution_values(instance, solution)).values())
        if abs(objective - earlier.objective) <= REUSE_TOLERANCE * max(1.0, abs(objective)):
            solution = dataclasses.replace(solution, objective=objective, seconds=0.0)
            return checked_run(instance, solution, Detail.SUMMARY, {}, None, warm=True)
    return None


def _cold(
    instance: Instance, options: SolveOptions, detail: Detail, progress: Progress
) -> ScenarioRun:
    """Build the variant's own model and solve it; a review's savings are re-solved on it
    and the model is dropped before the plan tables are built beside it (at 1M
    deliveries the HiGHS model is most of the memory)."""
    timings: dict[str, float] = {}
    try:
        model = _handed_over(lambda: build_model(instance.data), options, timings, progress, detail)
        review = detail is Detail.REVIEW
        ranged = review and len(model.compiled.cost) < RANGING_COLUMNS
        solution = model.solve(marginals=detail is not Detail.SUMMARY, ranging=ranged,
                               progress=progress)  # fmt: skip
    except NotSolved as failure:
        raise _no_plan(instance, failure, options) from None
    timings.update(solution.timings)
    found = _savings(instance, solution, model.marginal, timings, progress) if review else None
    del model
    return checked_run(instance, solution, detail, timings, progress, found)


def _savings(
    instance: Instance, solution: Solution, kept: KeptModel, timings: dict, progress: Progress
):
    """The review's savings: each stated relaxation re-solved on the plan's model (an
    integer plan's: the LP with its binaries fixed, SPEC §7) within the time budget the
    plan's own solve sets (`plan.savings.budget_seconds`)."""
    base = Kept(kept, instance)

    def objective(relaxation: Relaxation) -> float | None:
        variant = dataclasses.replace(instance, data=relaxation.data)
        found = _on_kept(base, variant)
        if found is None:
            return None
        try:
            return kept.optimum(found[0])
        except NotSolved:
            return None

    with timed(timings, "savings", progress):
        buy = np.asarray(solution.values.get(components.BUY, np.zeros(0)), dtype=float)
        return savings(instance, solution, buy, objective, budget_seconds(solution.seconds))


def checked_run(
    instance: Instance,
    solution: Solution,
    detail: Detail,
    timings: dict[str, float],
    progress: Progress,
    found=None,
    warm: bool = False,
) -> ScenarioRun:
    """A solution of `instance` as its run: the summary (and tables), checked: residuals
    for a summary, the workbook check for plan tables. A plan that fails is a bug and is
    never returned. (The robust plan reads each scenario's block through here.)"""
    with timed(timings, "extract", progress):
        values = solution_values(instance, solution)
        summary = plan_summary(instance, values, solution)
        tables = None
        if detail is not Detail.SUMMARY:
            tables = plan_tables(instance, solution, detail is Detail.REVIEW)
            if found is not None:
                tables = dataclasses.replace(tables, savings=found)
    with timed(timings, "check", progress):
        if tables is None:
            data = instance.data
            usable = np.ones(data.deliveries, dtype=bool)
            violations = residual_violations(
                data, values, usable, summary.terms, solution.objective
            )
        else:
            violations = check_plan(instance.inputs, instance.scenario, tables)
    if violations:
        raise PlanCheckError([f"{instance.scenario.name}: {text}" for text in violations])
    return ScenarioRun(instance, solution, summary, tables, timings, warm)


def solve_stable(
    instance: Instance, options: SolveOptions, stability_at: Callable[[float], StabilityData]
) -> tuple[ScenarioRun, float]:
    """The plan of `instance` closest to the last one among those that cost at most the
    bound `stability_at(optimum)` gives (SPEC §5), and the optimum. Its tables are a
    review's, its marginal values the optimum's (the stable model's duals price the
    distance, not the cost); it is checked like any plan and against the bound. Its
    objective is its cost (HiGHS minimised the distance)."""
    options = _with_gap(instance, options)
    timings: dict[str, float] = {}
    try:
        model = _handed_over(lambda: build_model(instance.data), options, timings, None)
        optimum = model.solve(marginals=True, ranging=True)
        stability = stability_at(optimum.objective)
        stable = _handed_over(
            lambda: build_stable_model(instance.data, stability), options, timings, None
        ).solve()
    except NotSolved as failure:
        raise _no_plan(instance, failure, options) from None
    timings.update(stable.timings)
    values = solution_values(instance, stable)
    stable.objective = sum(cost_terms(instance, values).values())
    marginals = {"duals": optimum.duals, "reduced_costs": optimum.reduced_costs}
    stable = dataclasses.replace(stable, **marginals, ranges=optimum.ranges)
    run = checked_run(instance, stable, Detail.REVIEW, timings, None)
    violations = check_cost_bound(run.summary.terms, stability.cost_bound)
    if violations:
        raise PlanCheckError([f"{instance.scenario.name}: {text}" for text in violations])
    return run, optimum.objective


def solve_scenario(
    inputs: Inputs,
    scenario: Scenario,
    options: SolveOptions,
    progress: Progress = None,
    analyses: bool = True,
) -> ScenarioRun:
    """Derive one scenario and solve it cold (`analyses=False`: plan tables without the
    review)."""
    timings: dict[str, float] = {}
    with timed(timings, "derive", progress):
        instance = derive(inputs, scenario)
    detail = Detail.REVIEW if analyses else Detail.PLAN
    run = solve_variant(instance, options, None, detail, progress)
    run.timings.update({**timings, **run.timings})
    return run


def solve_fixed_block(
    data: RobustData,
    block: ScenarioData,
    name: str,
    options: SolveOptions,
    commit: np.ndarray,
    onboard: dict[int, float],
) -> float:
    """C_ω of one block of the extensive form with the committed orders y at `commit` and
    SPEC §7's z at `onboard` (each offer of the robust plan: 0 or 1), solved alone; the
    fixed cost of an onboarded offer the block's own model has no z for is added, as
    every C_ω carries F·z of every z. `NoPlanError` as `solve_robust`."""
    alone = dataclasses.replace(
        data, scenarios=[dataclasses.replace(block, probability=1.0)], beta=0.0
    )
    timings: dict[str, float] = {}
    model = _handed_over(lambda: build_robust(alone), options, timings, None)
    own = set(model.keys.get(components.ONBOARD, []))
    change = fixed_decisions(commit, {o: z for o, z in onboard.items() if o in own})
    try:
        solution = model.solve(change)
    except NotSolved as failure:
        raise _robust_failure(failure, [name]) from None
    elsewhere = [o for o, z in onboard.items() if o not in own and round(z) == 1]
    return solution.objective + float(block.data.fixed_cost[elsewhere].sum())


def solve_robust(
    data: RobustData,
    options: SolveOptions,
    names: list[str],
    kept: KeptModel | None = None,
    change: Change | None = None,
    progress: Progress = None,
) -> tuple[Solution, KeptModel]:
    """Solve the robust plan's extensive form (SPEC §6) over the scenarios `names`, built
    anew or on `kept` with `change` set (the eev plan fixes the committed orders);
    `NoPlanError` naming the scenarios in conflict when it has no plan. HiGHS's sub-MIP
    heuristics are on: the extensive form's root holds no good plan (`highs.SKIPPED_HEURISTICS`)."""
    timings: dict[str, float] = {}
    options = dataclasses.replace(options, sub_mips=True)
    try:
        if kept is None:
            kept = _handed_over(lambda: build_robust(data), options, timings, progress)
        solution = kept.solve(change, progress=progress)
    except NotSolved as failure:
        raise _robust_failure(failure, names) from None
    solution.timings = {**timings, **solution.timings}
    return solution, kept


def _robust_failure(failure: NotSolved, names: list[str]) -> NoPlanError:
    """Why the extensive form over the scenarios `names` has no plan."""
    if failure.status.startswith("infeasible"):
        blocks = blocks_in_conflict([row.component for row in failure.conflict])
        where = ", ".join(names[w] for w in blocks) or "some scenario"
        lines = [f"the hard limits (storage max, budget) conflict in {where}"]
    else:
        lines = ["HiGHS ended without a robust plan; raise --time-limit or use fewer scenarios"]
    return NoPlanError(failure.status, lines)
