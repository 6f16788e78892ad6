"""`reopt robust` (SPEC §6): one plan to commit now that holds up across scenarios.

The flow: the scenario set Ω and its probabilities, the commitment window K and the
reference scenario ρ; each ω derived as `solve` derives it; the extensive form of
`models.robust` (one block per scenario reusing the §2 families) solved through the same
hand-off to HiGHS; then the figures of Birge & Louveaux: RP, WS (each scenario alone),
EEV (y fixed to ρ's own plan, re-solving the same model), VSS and EVPI. Every scenario's
plan is turned into the plan tables of `solve` and checked independently, and the
scenario costs C_ω recomputed from those tables must give back HiGHS's objective.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.core as pyo

from models import components
from models.data import ModelData, restrict
from models.robust import ScenarioData, build_robust
from optimizer.domain.derive import Instance, derive
from optimizer.domain.draws import LicenceSamples, sample_scenarios
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario, find_scenario, resolve_scenario, scenario_names
from optimizer.pipeline import PlanCheckError, Progress, solve_scenario, timed
from optimizer.plan.checks import check_plan
from optimizer.plan.onboarding import integer_warnings
from optimizer.plan.outcomes import Robust, ScenarioOutcome
from optimizer.plan.residuals import residual_violations
from optimizer.plan.tables import (
    COST_TERMS,
    as_stored,
    plan_tables,
    scenario_cost,
    solution_values,
)
from optimizer.plan.values import NOISE
from optimizer.problems import (
    InputError,
    NoPlanError,
    Problem,
    UsageError,
    distinct,
    for_scenario,
)
from optimizer.runs.warm import WarmScenario
from optimizer.solver.highs import NotSolved, Solution, solve
from optimizer.solver.options import SolveOptions

PROBABILITY_TOLERANCE = 1e-6
OBJECTIVE_TOLERANCE = 1e-6
"""Relative gap allowed between HiGHS's objective and the one rebuilt from the tables."""
BLOCK = re.compile(r"^scenario\[(\d+)\]\.")


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


def commit_periods(inputs: Inputs, request: RobustRequest) -> int:
    """K: `--commit`, else Settings `commit_periods`, else 1 (0 ≤ K ≤ T)."""
    horizon = len(inputs.periods)
    if request.commit is not None:
        if not 0 <= request.commit <= horizon:
            raise UsageError(
                f"--commit must be between 0 and the number of periods ({horizon}), "
                f"not {request.commit}"
            )
        return request.commit
    chosen = inputs.settings.commit_periods
    return min(1, horizon) if chosen is None else int(chosen)


def _probability_problems(inputs: Inputs, names: list[str], given: np.ndarray) -> list[Problem]:
    """Blank and filled mixed, a probability of 0, or a total other than 1."""
    table, sheet = inputs.scenarios, inputs.sheet("scenarios")
    filled = ~np.isnan(given)

    def at(name: str, message: str, value: object) -> Problem:
        row = table.at[name, "row"]
        return Problem(
            message,
            sheet=sheet,
            row=None if pd.isna(row) else int(row),
            column="probability",
            value=value,
        )

    if filled.any() and not filled.all():
        have = ", ".join(n for n, f in zip(names, filled, strict=True) if f)
        return [
            at(
                name,
                f"scenario {name} has no probability while {have} has one: give every "
                "scenario of the robust plan a probability, or none",
                None,
            )
            for name, f in zip(names, filled, strict=True)
            if not f
        ]
    if not filled.any():
        return []
    problems = [
        at(name, f"scenario {name} is in the robust plan, so its probability must be > 0", p)
        for name, p in zip(names, given.tolist(), strict=True)
        if p <= 0
    ]
    total = float(given.sum())
    if not problems and abs(total - 1) > PROBABILITY_TOLERANCE:
        listed = " + ".join(f"{p:g}" for p in given.tolist())
        problems.append(
            at(
                names[-1],
                f"the probabilities of the robust plan's scenarios ({', '.join(names)}) add "
                f"up to {listed} = {total:g}; they must add up to 1",
                float(given[-1]),
            )
        )
    return problems


def scenario_set(
    inputs: Inputs, request: RobustRequest, reference: Scenario
) -> tuple[list[Scenario], np.ndarray]:
    """Ω and π: the named scenarios, else those with probability > 0, else all of them;
    or `--samples` equally likely licence draws of the reference scenario."""
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
    problems = _probability_problems(inputs, names, given)
    if problems:
        raise InputError(inputs.file, problems)
    if np.isnan(given).all():
        given = np.full(len(names), 1 / len(names))
    return [resolve_scenario(inputs, name) for name in names], given


def distinct_draws(
    drawn: list[Scenario], probability: np.ndarray
) -> tuple[list[Scenario], np.ndarray, np.ndarray]:
    """Identical licence draws merged into one scenario carrying their total probability,
    and the position of each draw's scenario. Exact: identical blocks share an optimal
    recourse, and the distribution of C_ω (so Σ π C and CVaR) is unchanged."""
    keys = [tuple(scenario.rules["approval"].tolist()) for scenario in drawn]
    first: dict[tuple, int] = {}
    which = np.array([first.setdefault(key, len(first)) for key in keys], dtype=np.int64)
    kept = [drawn[int(np.flatnonzero(which == k)[0])] for k in range(len(first))]
    return kept, np.bincount(which, weights=probability), which


def cvar(costs: np.ndarray, probability: np.ndarray, alpha: float) -> float:
    """CVaR_α of a discrete cost: min over η of η + Σ π·max(C − η, 0)/(1 − α), whose
    minimum lies at one of the costs (the function is piecewise linear and convex)."""
    excess = np.maximum(costs[None, :] - costs[:, None], 0.0) @ probability
    return float((costs + excess / (1 - alpha)).min())


def _delivery_keys(data: ModelData) -> np.ndarray:
    return (data.offer * data.points + data.point) * data.periods + data.period


@dataclass(frozen=True)
class _Part:
    """One scenario's block data and the instance its plan tables are read against."""

    block: ScenarioData
    instance: Instance


def _part(instance: Instance, committed: ModelData, window: int, probability: float) -> _Part:
    """ω's deliveries: the committed ones it receives (t ≤ K) and its own after K."""
    data = instance.data
    early = data.period < window
    j = pd.Index(_delivery_keys(committed)).get_indexer(_delivery_keys(data))
    j = np.where(early, j, -1)
    keep = ~early | (j >= 0)
    arrival = np.zeros(committed.deliveries)
    arrived = j[j >= 0]
    offer, period = committed.offer[arrived], committed.period[arrived]
    arrival[arrived] = np.minimum(
        1.0, data.capacity_t[offer, period] / committed.capacity_t[offer, period]
    )
    inputs = instance.inputs
    disruption = inputs.materials["disruption_cost"].to_numpy(float)[committed.material]
    failed = inputs.settings.risk_weight * disruption * (1 - arrival)
    merged = dataclasses.replace(
        instance,
        data=restrict(data, keep),
        deliveries=instance.deliveries[keep].reset_index(drop=True),
    )
    block = ScenarioData(merged.data, j[keep], arrival, failed, probability)
    return _Part(block, merged)


def _where(failure: NotSolved, names: list[str]) -> str:
    """The scenarios whose rows are in HiGHS's conflict, by name."""
    hit = sorted({int(m.group(1)) for row in failure.conflict if (m := BLOCK.match(row.component))})
    return ", ".join(names[w] for w in hit) or "some scenario"


def _solve(
    model: pyo.ConcreteModel,
    options: SolveOptions,
    progress: Progress,
    names: list[str],
    keep: bool = False,
) -> Solution:
    """Solve an extensive form (`keep`: keep HiGHS's model for the eev re-solve)."""
    try:
        return solve(model, options, progress, keep=keep, ranging=False)
    except NotSolved as failure:
        if failure.status.startswith("infeasible"):
            lines = [f"the hard limits (storage max, budget) conflict in {_where(failure, names)}"]
        else:
            lines = ["HiGHS ended without a robust plan; raise --time-limit or use fewer scenarios"]
        raise NoPlanError(failure.status, lines) from None


def _block_solution(solution: Solution, index: int, part: _Part) -> Solution:
    """The values of one scenario's block, as if it had been solved alone."""
    prefix = f"scenario[{index}]."

    def mine(found: dict) -> dict:
        return {name[len(prefix) :]: v for name, v in found.items() if name.startswith(prefix)}

    block = part.block
    own = block.commit < 0
    buy = np.zeros(block.data.deliveries)
    buy[own] = mine(solution.values).get(components.BUY, np.zeros(0))
    y = solution.values[components.COMMIT]
    buy[~own] = block.arrival[block.commit[~own]] * y[block.commit[~own]]
    values = {**mine(solution.values), components.BUY: buy}
    keys = mine(solution.keys)
    if components.ONBOARD in solution.values:  # SPEC §7's z, shared by every block
        values[components.ONBOARD] = solution.values[components.ONBOARD]
        keys[components.ONBOARD] = solution.keys[components.ONBOARD]
    return Solution(
        0.0, solution.seconds, values, mine(solution.duals), {}, keys, mip_gap=solution.mip_gap
    )


def _outcome(
    inputs: Inputs, solution: Solution, index: int, part: _Part, alone: float
) -> ScenarioOutcome:
    """ω's plan tables (checked), its cost terms and C_ω.

    A licence draw's plan is checked family by family on its arrays, as a sweep checks
    its samples (`plan.residuals`); a named scenario's by the table check."""
    block = _block_solution(solution, index, part)
    tables = plan_tables(part.instance, block, analyses=False)
    terms = {term: float(tables.summary[term]) for term in COST_TERMS}  # type: ignore[arg-type]
    own = sum(terms.values())
    terms["failed"] = float(part.block.failed_cost_per_t @ solution.values[components.COMMIT])
    cost = sum(terms.values())
    summary = {**tables.summary, "objective": as_stored(cost - terms["failed"])}
    tables = dataclasses.replace(tables, summary=summary)
    scenario = part.instance.scenario
    if scenario.draw is None:
        violations = check_plan(inputs, scenario, tables)
    else:
        data = part.instance.data
        everything = np.ones(data.deliveries, dtype=bool)
        values = solution_values(part.instance, block)
        spent = {term: terms[term] for term in COST_TERMS}
        violations = residual_violations(data, values, everything, spent, own)
    if violations:
        raise PlanCheckError([f"{part.instance.scenario.name}: {v}" for v in violations])
    name = part.instance.scenario.name
    return ScenarioOutcome(name, part.block.probability, cost, terms, alone, tables)


def _commit_table(
    reference: Instance, window: int, y: np.ndarray, arrivals: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The committed orders y > 0 with the share of each that arrives in each scenario."""
    periods = reference.inputs.periods
    rows = reference.deliveries[reference.data.period < window].reset_index(drop=True)
    chosen = np.flatnonzero(y > NOISE)
    rows = rows.iloc[chosen]
    orders = pd.DataFrame(
        {
            "supplier": rows["supplier"].to_numpy(),
            "material": rows["material"].to_numpy(),
            "country": rows["country"].to_numpy(),
            "refined_in": rows["refined_in"].to_numpy(),
            "mined_in": rows["mined_in"].to_numpy(),
            "site": rows["site"].to_numpy(),
            "period": [periods[t] for t in rows["period"]],
            "order_by": [periods[t] for t in rows["period"] - rows["lead_periods"]],
            "quantity": y[chosen],
        }
    )
    arrives = pd.DataFrame({f"arrives: {name}": a[chosen] for name, a in arrivals.items()})
    return pd.concat([orders, arrives], axis=1)


def _onboarded(reference: Instance, solution: Solution) -> pd.DataFrame:
    """The offers the robust plan onboards (z = 1, SPEC §7) and what each costs."""
    keys = np.asarray(solution.keys.get(components.ONBOARD, []), dtype=np.int64)
    chosen = keys[np.round(solution.values.get(components.ONBOARD, np.zeros(0))) > 0]
    offers = reference.offers.iloc[chosen]
    columns = ["supplier", "material", "country", "fixed_cost"]
    return offers[columns].reset_index(drop=True)


def _gap_warnings(solution: Solution, ws: float, eev: float | None) -> list[Problem]:
    """vss or evpi below 0: each of RP, ws and eev is an integer optimum proved only to
    within the mip gap (SPEC §7), so their differences are exact only at --mip-gap 0."""
    below = [
        name
        for name, value in (("vss", None if eev is None else eev - solution.objective),
                            ("evpi", solution.objective - ws))
        if value is not None and value < 0
    ]  # fmt: skip
    if solution.mip_gap is None or not below:
        return []
    return [
        Problem(
            f"{' and '.join(below)} below 0: the robust plan, ws and eev are integer optima "
            f"each proved only to within the relative mip gap (robust plan: "
            f"{solution.mip_gap:.4%}); use --mip-gap 0 for exact differences",
            warning=True,
        )
    ]


def _expected_value(
    model: pyo.ConcreteModel,
    robust: Solution,
    own: Solution,
    window: np.ndarray,
    options: SolveOptions,
    names: list[str],
) -> tuple[float | None, str | None]:
    """EEV: the same model with y, and SPEC §7's z, fixed to the reference scenario's own
    plan (`window` marks its committed deliveries; an offer without z there is not
    onboarded); None and why if it breaks a hard limit in some scenario.

    An LP is re-solved on the robust plan's HiGHS model from its basis, y fixed; an
    integer model, or an LP without an optimum that way, is rebuilt and solved (which
    also names the scenarios in conflict)."""
    committed = np.maximum(own.values[components.BUY][window], 0.0)
    if robust.warm is not None and robust.mip_gap is None:
        start, end = robust.warm.compiled.columns[components.COMMIT]
        eev = robust.warm.objective_with_columns(np.arange(start, end), committed)
        if eev is not None:
            return eev, None
    for j, value in enumerate(committed.tolist()):
        model.commit[j].fix(value)
    onboarded = dict(
        zip(
            own.keys.get(components.ONBOARD, []),
            own.values.get(components.ONBOARD, np.zeros(0)),
            strict=True,
        )
    )
    for offer in model.ONBOARD if model.component("ONBOARD") is not None else []:
        model.onboard[offer].fix(round(float(onboarded.get(offer, 0.0))))
    try:
        return solve(model, options).objective, None
    except NotSolved as failure:
        if not failure.status.startswith("infeasible"):
            raise NoPlanError(failure.status, ["HiGHS ended without the eev plan"]) from None
        return None, (
            "the reference plan for the committed periods breaks a hard limit (storage max "
            f"or budget) in {_where(failure, names)}"
        )


def _nothing_shared(
    instances: list[Instance], probability: np.ndarray, request: RobustRequest, beta: float
) -> tuple[Solution, list[_Part]]:
    """The extensive form with nothing shared (K = 0, SPEC §7's z per block): with β = 0
    its blocks are independent, each solved to its own §2 optimum in one HiGHS run."""
    empty = restrict(instances[0].data, np.zeros(instances[0].data.deliveries, dtype=bool))
    parts = [
        _part(instance, empty, 0, float(p))
        for instance, p in zip(instances, probability.tolist(), strict=True)
    ]
    model = build_robust(empty, [part.block for part in parts], request.alpha, beta, False)
    names = [instance.scenario.name for instance in instances]
    return _solve(model, request.options, None, names), parts


def _alone(
    instances: list[Instance], probability: np.ndarray, request: RobustRequest, integer: bool
) -> list[float]:
    """Each scenario's own §2 optimum from the unshared form: one HiGHS run for an LP (its
    blocks are independent), one per scenario for a MIP, so that each meets the gap on
    its own as `reopt solve --scenario` does (and branch and bound stays small)."""
    groups = [[w] for w in range(len(instances))] if integer else [list(range(len(instances)))]
    alone = []
    for group in groups:
        chosen = [instances[w] for w in group]
        separate, parts = _nothing_shared(chosen, probability[group], request, 0.0)
        alone += [
            scenario_cost(part.instance, _block_solution(separate, index, part))
            for index, part in enumerate(parts)
        ]
    return alone


def _alone_warm(
    inputs: Inputs, reference: Scenario, draws: list[Scenario], options: SolveOptions
) -> list[float]:
    """Each licence draw's own §2 optimum (an LP) as a licence sweep finds it: re-solved
    warm on the reference's kept model (`runs/warm.py`, equal to the cold solve)."""
    kept = WarmScenario(inputs, reference, options)
    return [float(kept.sample(w, draw).summary["objective"]) for w, draw in enumerate(draws)]  # type: ignore[arg-type]


def plan_robust(inputs: Inputs, request: RobustRequest, progress: Progress = None) -> Robust:
    """The robust plan of SPEC §6 and its reported figures."""
    check_request(request)
    gap = inputs.settings.mip_gap if request.mip_gap is None else request.mip_gap
    request = dataclasses.replace(
        request, options=dataclasses.replace(request.options, mip_gap=gap)
    )
    timings: dict[str, float] = {}
    window = commit_periods(inputs, request)
    reference = resolve_scenario(inputs, request.reference or inputs.settings.scenario)
    drawn, drawn_probability = scenario_set(inputs, request, reference)
    scenarios, probability, which = (
        distinct_draws(drawn, drawn_probability)
        if request.samples
        else (drawn, drawn_probability, np.arange(len(drawn)))
    )
    with timed(timings, "derive", progress):
        reference_instance = derive(inputs, reference)
        if request.samples:  # licence draws of the reference: no derive per draw
            draws = LicenceSamples(reference_instance)
            instances = [draws.instance(scenario) for scenario in scenarios]
        else:
            instances = [derive(inputs, scenario) for scenario in scenarios]
        committed = restrict(reference_instance.data, reference_instance.data.period < window)
        parts = [
            _part(instance, committed, window, float(p))
            for instance, p in zip(instances, probability.tolist(), strict=True)
        ]
    with timed(timings, "build", progress):
        model = build_robust(committed, [p.block for p in parts], request.alpha, request.beta)
    names = [scenario.name for scenario in scenarios]
    solution = _solve(model, request.options, progress, names, keep=True)
    timings.update({f"robust {k}": v for k, v in solution.timings.items()})
    with timed(timings, "alone", progress):
        if request.samples and solution.mip_gap is None:
            alone = _alone_warm(inputs, reference, scenarios, request.options)
        else:
            alone = _alone(instances, probability, request, solution.mip_gap is not None)
    with timed(timings, "extract", progress):
        outcomes = [
            _outcome(inputs, solution, index, part, alone[index])
            for index, part in enumerate(parts)
        ]
    costs = np.array([outcome.cost for outcome in outcomes])
    expected = float(probability @ costs)
    risk = cvar(costs, probability, request.alpha)
    rebuilt = expected + request.beta * risk
    if abs(rebuilt - solution.objective) > OBJECTIVE_TOLERANCE * max(1.0, abs(rebuilt)):
        raise PlanCheckError(
            [f"scenario costs give {rebuilt:,.6f}, HiGHS's objective is {solution.objective:,.6f}"]
        )
    with timed(timings, "ws", progress):
        ws = (
            float(probability @ np.array(alone))
            if request.beta == 0
            else _nothing_shared(instances, probability, request, request.beta)[0].objective
        )
    eev, reason = solution.objective, None
    if window > 0 or len(model.component("ONBOARD") or ()):  # y or z shared (SPEC §6, §7)
        with timed(timings, "eev", progress):
            try:
                own = solve_scenario(inputs, reference, request.options, analyses=False)
            except NoPlanError as failure:
                eev, reason = None, f"{reference.name} has no plan of its own ({failure.status})"
            else:
                early = reference_instance.data.period < window
                eev, reason = _expected_value(
                    model, solution, own.solution, early, request.options, names
                )
    solution.warm = None  # HiGHS's copy of the extensive form is no longer needed
    warnings = [
        *inputs.warnings,
        *for_scenario(reference_instance.warnings, reference.name, inputs.warnings),
    ]
    for outcome in outcomes:  # each scenario's plan under the robust orders, checked
        warnings += for_scenario(outcome.tables.warnings, outcome.name, inputs.warnings)
    warnings = distinct(warnings)
    if reason:
        warnings.append(Problem(f"eev is absent: {reason}", warning=True))
    warnings.extend(integer_warnings(solution))
    warnings.extend(_gap_warnings(solution, ws, eev))
    sizes = {
        "scenarios": len(drawn),
        "distinct_scenarios": len(scenarios),
        "committed_variables": committed.deliveries,
        "variables": sum(len(v) for v in model.component_objects(pyo.Var, descend_into=True)),
        "constraints": sum(
            len(c) for c in model.component_objects(pyo.Constraint, descend_into=True)
        ),
    }
    return Robust(
        reference=reference.name,
        commit_periods=window,
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
        commit=_commit_table(
            reference_instance,
            window,
            solution.values[components.COMMIT],
            {s.name: parts[w].block.arrival for s, w in zip(drawn, which.tolist(), strict=True)},
        ),
        sizes=sizes,
        timings=timings,
        warnings=warnings,
        onboarded=_onboarded(reference_instance, solution),
        mip_gap=solution.mip_gap,
    )
