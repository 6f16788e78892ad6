"""`reopt robust` (SPEC §6): one plan to commit now that holds up across scenarios.

Orchestration only: the scenario set Ω and its probabilities, the commitment window K and
the reference scenario ρ; each ω derived as `solve` derives it (`domain.variants`); the
extensive form's data (`domain.robust`) solved by the pipeline; each scenario's block read
and checked as a plan of its own (`plan.blocks`, `pipeline.checked_run`); then the
figures of Birge & Louveaux: RP, WS (each scenario alone, solved on ρ's kept model where
a change can say the difference), EEV (y and z fixed to ρ's own plan: a change to the
solved extensive form), VSS and EVPI. The scenario costs C_ω rebuilt from the plans must
give back HiGHS's objective.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models import components
from models.robust import RobustData, fixed_decisions
from optimizer.domain.derive import Instance, derive
from optimizer.domain.draws import sample_scenarios
from optimizer.domain.inputs import Inputs
from optimizer.domain.robust import (
    RobustLayout,
    commit_periods,
    committed_orders,
    cvar,
    distinct_draws,
    robust_data,
    unshared,
)
from optimizer.domain.scenarios import Scenario, find_scenario, resolve_scenario, scenario_names
from optimizer.domain.variants import vary
from optimizer.pipeline import (
    Detail,
    PlanCheckError,
    Progress,
    ScenarioRun,
    checked_run,
    keep,
    solve_fixed_block,
    solve_robust,
    solve_variant,
    timed,
)
from optimizer.plan.blocks import block_solution
from optimizer.plan.commitments import commit_table
from optimizer.plan.onboarding import integer_warnings
from optimizer.plan.outcomes import Robust, ScenarioOutcome
from optimizer.plan.summary import cost_terms
from optimizer.plan.tables import plan_tables
from optimizer.plan.values import solution_values
from optimizer.problems import (
    InputError,
    NoPlanError,
    Problem,
    UsageError,
    distinct,
    for_scenario,
)
from optimizer.solver.options import SolveOptions
from optimizer.workbook.rules.scenarios import robust_probability_problems

if TYPE_CHECKING:
    from optimizer.solver.highs import Solution

OBJECTIVE_TOLERANCE = 1e-6
"""Relative gap allowed between HiGHS's objective and the one rebuilt from the plans."""


@dataclass(frozen=True)
class RobustRequest:
    """The options of `reopt robust`."""

    scenarios: tuple[str, ...] = ()
    commit: int | None = None
    reference: str | None = None
    alpha: float = 0.9
    beta: float = 0.0
    samples: int = 0
    seed: int = 0
    mip_gap: float | None = None
    """SPEC §7's gap for every integer model of the run; None: Settings mip_gap"""
    options: SolveOptions = field(default_factory=SolveOptions)


def check_request(request: RobustRequest) -> None:
    """The command-line rules of SPEC §6 that need no workbook."""
    if request.samples and request.scenarios:
        raise UsageError(
            "--samples draws the scenario set from the reference scenario: "
            "use --reference, not --scenario"
        )
    if not 0 <= request.alpha < 1:
        raise UsageError(f"--cvar-alpha must be at least 0 and below 1, not {request.alpha:g}")
    if request.beta < 0:
        raise UsageError(f"--cvar-weight must be ≥ 0, not {request.beta:g}")


def scenario_set(
    inputs: Inputs, request: RobustRequest, reference: Scenario
) -> tuple[list[Scenario], np.ndarray]:
    """Ω and π (SPEC §6): `--samples` equally likely licence draws of the reference, or
    the named scenarios, else those with a probability > 0, else every scenario."""
    if request.samples:
        drawn, _ = sample_scenarios(reference, request.samples, request.seed)
        return drawn, np.full(len(drawn), 1 / len(drawn))
    probability = inputs.scenarios["probability"].astype(float)
    if request.scenarios:
        names = list(dict.fromkeys(find_scenario(inputs, name) for name in request.scenarios))
    elif (probability > 0).any():
        names = [name for name in scenario_names(inputs) if probability[name] > 0]
    else:
        names = scenario_names(inputs)
    given = probability.reindex(names).to_numpy(float)
    problems = robust_probability_problems(inputs, names, given)
    if problems:
        raise InputError(inputs.file, problems)
    if np.isnan(given).all():
        given = np.full(len(names), 1 / len(names))
    return [resolve_scenario(inputs, name) for name in names], given


@dataclass(frozen=True)
class _Problem:
    """What plan_robust solves: the reference, the scenarios and the extensive form."""

    reference: Instance
    instances: list[Instance]
    """each distinct scenario, as derived"""
    names: list[str]
    layout: RobustLayout

    @property
    def data(self) -> RobustData:
        """The extensive form's data."""
        return self.layout.data

    @property
    def window(self) -> int:
        """K: the periods whose orders are committed now."""
        return self.layout.window


def _problem(inputs: Inputs, request: RobustRequest, scenarios: list[Scenario],
             probability: np.ndarray, reference: Scenario) -> _Problem:  # fmt: skip
    """Derive the reference and every scenario (a licence draw from the reference) and
    lay out the extensive form."""
    window = commit_periods(inputs, request.commit)
    own = derive(inputs, reference)
    instances = [vary(own, scenario) for scenario in scenarios]
    layout = robust_data(own, instances, probability, window, request.alpha, request.beta)
    return _Problem(own, instances, [s.name for s in scenarios], layout)


def _alone(problem: _Problem, options: SolveOptions) -> tuple[list[ScenarioRun], ScenarioRun]:
    """Each scenario's own §2 optimum (as `reopt solve --scenario`), and the reference's:
    solved on the reference's kept model wherever a change states the difference (a
    licence draw), else built anew."""
    kept = keep(problem.reference, options)
    runs = [solve_variant(i, options, kept, Detail.SUMMARY) for i in problem.instances]
    own = next(
        (run for run in runs if run.instance.scenario.name == problem.reference.scenario.name),
        None,
    ) or solve_variant(problem.reference, options, kept, Detail.SUMMARY)
    return runs, own


def _outcome(solution: Solution, problem: _Problem, block: int, alone: float) -> ScenarioOutcome:
    """ω's plan (checked), its cost terms and C_ω: its own §2 terms plus `failed`.

    A licence draw's plan is checked family by family on its arrays, as a sweep checks
    its samples; a named scenario's by the table check."""
    data, instance = problem.data.scenarios[block], problem.layout.blocks[block]
    mine = block_solution(solution, block, data)
    terms = cost_terms(instance, solution_values(instance, mine))
    mine.objective = sum(terms.values())
    detail = Detail.SUMMARY if instance.scenario.draw is not None else Detail.PLAN
    run = checked_run(instance, mine, detail, {}, None)
    tables = run.tables or plan_tables(instance, mine, analyses=False)
    terms["failed"] = float(data.failed_cost_per_t @ solution.values[components.COMMIT])
    name = instance.scenario.name
    return ScenarioOutcome(name, data.probability, sum(terms.values()), terms, alone, tables)


def _orders(problem: _Problem, solution: Solution, drawn: list[Scenario], which) -> pd.DataFrame:
    """The purchase orders placed now, with what becomes of each in every scenario."""
    layout, inputs = problem.layout, problem.reference.inputs
    scenarios = [
        (s.name, layout.data.scenarios[w].arrival, layout.arrives[w])
        for s, w in zip(drawn, which.tolist(), strict=True)
    ]
    y = solution.values[components.COMMIT]
    return commit_table(layout.orders, y, scenarios, inputs.periods, inputs.settings.period_days)


def _onboarded(reference: Instance, solution: Solution) -> pd.DataFrame:
    """The offers the robust plan onboards (z = 1, SPEC §7) and what each costs."""
    keys = np.asarray(solution.keys.get(components.ONBOARD, []), dtype=np.int64)
    chosen = keys[np.round(solution.values.get(components.ONBOARD, np.zeros(0))) > 0]
    offers = reference.offers.iloc[chosen]
    columns = ["supplier", "material", "country", "fixed_cost"]
    return offers[columns].reset_index(drop=True)


def _gap_warnings(solution: Solution, ws: float, eev: float | None) -> list[Problem]:
    """vss or evpi below 0, and why: each of RP, ws and eev of an integer model is proved
    only to within the mip gap (SPEC §7); and an order committed now keeps the terms of
    the period it was ordered for when it arrives later, which no scenario alone can
    get when a price or a rule changes over the horizon (then evpi can be below 0)."""
    scale = OBJECTIVE_TOLERANCE * max(1.0, abs(solution.objective))
    vss = None if eev is None else eev - solution.objective
    below = [name for name, value in (("vss", vss), ("evpi", solution.objective - ws))
             if value is not None and value < -scale]  # fmt: skip
    if not below:
        return []
    if solution.mip_gap is not None:
        why = (
            "the robust plan, ws and eev are integer optima each proved only to within the "
            f"relative mip gap (robust plan: {solution.mip_gap:.4%}); use --mip-gap 0 for "
            "exact differences"
        )
    else:
        why = (
            "an order committed now keeps the price and terms of the period it was ordered "
            "for even when a scenario delivers it later, which that scenario could not get "
            "alone (a price or a rule that changes over the horizon)"
        )
    return [Problem(f"{' and '.join(below)} below 0: {why}", warning=True)]


BLOCKWISE_EEV = True
"""An integer eev is solved block by block (`_eev`); False: on the joint model, as an
LP's (the tests compare the two)."""


def blockwise_eev(solution) -> bool:
    """Whether the robust plan's eev is solved block by block: for an integer model."""
    return BLOCKWISE_EEV and solution.mip_gap is not None


def _eev(
    problem: _Problem, solution, kept, own: ScenarioRun, request
) -> tuple[float | None, str | None]:
    """EEV: the robust plan's model with y and SPEC §7's z fixed to the reference's own
    plan (its orders placed in the first K periods, SPEC v3 §6; an offer without z there
    is not onboarded); None and why if it breaks a hard limit.

    An LP is re-solved warm on the robust plan's `kept` model with y and z fixed. An
    integer model is not: with y and z fixed the blocks share nothing (the lots on y are
    then fixed by y) and Σ π C_ω + β·CVaR grows with each C_ω, so each block is solved
    alone (`pipeline.solve_fixed_block`) and eev is that objective of their optima, the
    same figure without one branch and bound over every block at once (example: 25 s
    joint, see docs/performance.md)."""
    early = committed_orders(problem.reference, problem.window)
    committed = np.maximum(own.solution.values[components.BUY][early], 0.0)
    onboarded = dict(
        zip(
            own.solution.keys.get(components.ONBOARD, []),
            own.solution.values.get(components.ONBOARD, np.zeros(0)),
            strict=True,
        )
    )
    onboard = {o: float(onboarded.get(o, 0.0)) for o in solution.keys.get(components.ONBOARD, [])}
    data, options = problem.data, request.options
    try:
        if not blockwise_eev(solution):
            change = fixed_decisions(committed, onboard)
            return solve_robust(data, options, problem.names, kept, change)[0].objective, None
        costs = np.array([
            solve_fixed_block(data, block, name, options, committed, onboard)
            for block, name in zip(data.scenarios, problem.names, strict=True)
        ])  # fmt: skip
    except NoPlanError as failure:
        if not failure.status.startswith("infeasible"):
            raise NoPlanError(failure.status, ["HiGHS ended without the eev plan"]) from None
        return None, (
            "the reference plan for the committed periods breaks a hard limit: "
            + "; ".join(failure.explanation)
        )
    probability = np.array([block.probability for block in data.scenarios])
    return float(probability @ costs) + request.beta * cvar(costs, probability, request.alpha), None


def _ws(problem: _Problem, probability: np.ndarray, alone: list[float], request) -> float:
    """WS: nothing shared; with β = 0 the probability-weighted own optima."""
    if request.beta == 0:
        return float(probability @ np.array(alone))
    data = unshared(problem.instances, probability, request.alpha, request.beta)
    return solve_robust(data, request.options, problem.names)[0].objective


def _warnings(inputs: Inputs, problem: _Problem, outcomes, solution, ws, eev, reason):
    """The workbook's warnings, each scenario's plan warnings naming it, and the run's."""
    warnings = [
        *inputs.warnings,
        *for_scenario(problem.reference.warnings, problem.reference.scenario.name, inputs.warnings),
    ]
    for outcome in outcomes:
        warnings += for_scenario(outcome.tables.warnings, outcome.name, inputs.warnings)
    warnings = distinct(warnings)
    if reason:
        warnings.append(Problem(f"eev is absent: {reason}", warning=True))
    warnings.extend(integer_warnings(solution))
    warnings.extend(_gap_warnings(solution, ws, eev))
    return warnings


def plan_robust(inputs: Inputs, request: RobustRequest, progress: Progress = None) -> Robust:
    """The robust plan of SPEC §6 and its reported figures."""
    check_request(request)
    gap = inputs.settings.mip_gap if request.mip_gap is None else request.mip_gap
    request = dataclasses.replace(
        request, options=dataclasses.replace(request.options, mip_gap=gap)
    )
    timings: dict[str, float] = {}
    reference = resolve_scenario(inputs, request.reference or inputs.settings.scenario)
    drawn, drawn_probability = scenario_set(inputs, request, reference)
    scenarios, probability, which = (
        distinct_draws(drawn, drawn_probability)
        if request.samples
        else (drawn, drawn_probability, np.arange(len(drawn)))
    )
    with timed(timings, "derive", progress):
        problem = _problem(inputs, request, scenarios, probability, reference)
    solution, kept = solve_robust(problem.data, request.options, problem.names, progress=progress)
    if blockwise_eev(solution):
        kept = None  # eev is solved block by block: HiGHS's copy is not needed
    timings.update({f"robust {k}": v for k, v in solution.timings.items()})
    with timed(timings, "alone", progress):
        runs, own = _alone(problem, request.options)
        alone = [run.summary.objective for run in runs]
    with timed(timings, "extract", progress):
        outcomes = [_outcome(solution, problem, w, alone[w]) for w in range(len(scenarios))]
    costs = np.array([outcome.cost for outcome in outcomes])
    expected = float(probability @ costs)
    risk = cvar(costs, probability, request.alpha)
    rebuilt = expected + request.beta * risk
    if abs(rebuilt - solution.objective) > OBJECTIVE_TOLERANCE * max(1.0, abs(rebuilt)):
        raise PlanCheckError(
            [f"scenario costs give {rebuilt:,.6f}, HiGHS's objective is {solution.objective:,.6f}"]
        )
    with timed(timings, "ws", progress):
        ws = _ws(problem, probability, alone, request)
    eev, reason = solution.objective, None
    if problem.window > 0 or len(solution.keys.get(components.ONBOARD, [])):  # y or z shared
        with timed(timings, "eev", progress):
            eev, reason = _eev(problem, solution, kept, own, request)
    del kept  # HiGHS's copy of the extensive form is no longer needed
    sizes = {
        "scenarios": len(drawn),
        "distinct_scenarios": len(scenarios),
        "committed_variables": problem.data.committed.deliveries,
        "variables": sum(len(v) for v in solution.values.values()),
        "constraints": sum(len(d) for d in solution.duals.values()),
    }
    return Robust(
        reference=reference.name,
        commit_periods=problem.window,
        alpha=request.alpha,
        beta=request.beta,
        objective=solution.objective,
        expected_cost=expected,
        cvar=risk,
        ws=ws,
        eev=eev,
        eev_reason=reason,
        scenarios=[
            dataclasses.replace(outcomes[w], name=scenario.name, probability=float(p))
            for scenario, p, w in zip(drawn, drawn_probability, which.tolist(), strict=True)
        ],
        commit=_orders(problem, solution, drawn, which),
        sizes=sizes,
        timings=timings,
        warnings=_warnings(inputs, problem, outcomes, solution, ws, eev, reason),
        onboarded=_onboarded(problem.reference, solution),
        mip_gap=solution.mip_gap,
        currency=inputs.settings.currency,
        periods=tuple(inputs.periods),
    )
