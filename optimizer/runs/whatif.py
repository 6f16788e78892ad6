"""`reopt whatif`: scenarios side by side, ad-hoc stress tests, Monte Carlo licence sweeps.

Every scenario is solved by the same single-scenario pipeline as `reopt solve`, so each
objective here equals `reopt solve --scenario` exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.domain.draws import percentiles, sample_scenarios
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario, find_scenario, resolve_scenario, scenario_names
from optimizer.domain.stress import Stress, apply_stress
from optimizer.domain.words import BASE
from optimizer.plan.outcomes import Comparison, Sweep, TaskResult
from optimizer.plan.summary import COST_TERMS
from optimizer.problems import Problem, distinct, for_scenario
from optimizer.runs.parallel import Task, run_tasks
from optimizer.solver.options import PLAN_STATUSES, SolveOptions

MEASURES = (
    "objective", *COST_TERMS, "cash_spend", "penalties", "shortfall_t", "purchased_t",
    "licensed_share",
)  # fmt: skip


@dataclass(frozen=True)
class Request:
    """What to compare or sweep, and where to run it."""

    scenarios: tuple[str, ...] = ()
    base_scenario: str = BASE
    stresses: tuple[Stress, ...] = ()
    demand: float = 1.0
    samples: int = 0
    seed: int = 0
    workers: int | None = None
    scheduler: str | None = None
    options: SolveOptions = field(default_factory=lambda: SolveOptions(threads=1))

    @property
    def stressed(self) -> bool:
        """True when command-line flags add an ad-hoc scenario."""
        return bool(self.stresses) or self.demand != 1.0


def stressed_scenario(inputs: Inputs, request: Request) -> Scenario:
    """The base scenario of the request, with its stress flags when there are any."""
    base = resolve_scenario(inputs, request.base_scenario)
    if not request.stressed:
        return base
    return apply_stress(inputs, base, list(request.stresses), request.demand)


def compared_scenarios(inputs: Inputs, request: Request) -> list[Scenario]:
    """base, then the named scenarios (all by default), then the ad-hoc one."""
    names = [find_scenario(inputs, name) for name in request.scenarios] or scenario_names(inputs)
    ordered = [BASE, *[name for name in dict.fromkeys(names) if name != BASE]]
    scenarios = [resolve_scenario(inputs, name) for name in ordered]
    if request.stressed:
        scenarios.append(stressed_scenario(inputs, request))
    return scenarios


def _measures(result: TaskResult) -> dict[str, float | None]:
    """The compared measures of a result (None for a scenario without a plan)."""
    summary = result.summary
    return {m: None if summary is None else summary.measure(m) for m in MEASURES}


def _top_shares(mix: pd.DataFrame | None, materials: list[str]) -> dict[str, object]:
    """Per material, the country most tonnes ship from and its share of the tonnes
    (the same measure as the plan Dashboard's)."""
    row: dict[str, object] = {}
    for material in materials:
        rows = mix[mix["material"] == material] if mix is not None else pd.DataFrame()
        shipped = rows["shipped_from_t"] if len(rows) else pd.Series(dtype=float)
        top = rows.loc[shipped.idxmax()] if shipped.sum() > 0 else None
        row[f"{material}: top shipping country"] = None if top is None else top["country"]
        row[f"{material}: shipped share"] = (
            None if top is None else float(top["shipped_from_t"] / shipped.sum())
        )
    return row


def comparison_table(results: list[TaskResult], materials: list[str]) -> pd.DataFrame:
    """One row per scenario: status, measures, change against base, top country shares."""
    rows = []
    for result in results:
        row: dict[str, object] = {"scenario": result.scenario, "status": result.status}
        row.update(_measures(result))
        rows.append(row)
    table = pd.DataFrame(rows)
    base = table["objective"].iloc[0] if len(table) else None
    objective = pd.to_numeric(table["objective"], errors="coerce")
    table.insert(
        table.columns.get_loc("licensed_share") + 1, "change_vs_base", objective - (base or np.nan)
    )
    table.insert(
        table.columns.get_loc("change_vs_base") + 1,
        "change_vs_base_pct",
        (objective / base - 1) if base else np.nan,
    )
    mixes = [result.tables.mix if result.tables else None for result in results]
    shares = pd.DataFrame([_top_shares(mix, materials) for mix in mixes])
    return pd.concat([table, shares], axis=1)


def _stacked(results: list[TaskResult], table: str) -> pd.DataFrame:
    """One plan table of every solved scenario, with a leading `scenario` column."""
    frames = [
        getattr(result.tables, table).assign(scenario=result.scenario)
        for result in results
        if result.tables is not None
    ]
    if not frames:
        return pd.DataFrame(columns=["scenario"])
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["scenario", *[c for c in stacked.columns if c != "scenario"]]]


def compare(
    inputs: Inputs, request: Request, on_done: Callable[[TaskResult], None] | None = None
) -> Comparison:
    """Solve base, the chosen scenarios and the ad-hoc one; tabulate them side by side."""
    scenarios = compared_scenarios(inputs, request)
    tasks = [Task(index, scenario) for index, scenario in enumerate(scenarios)]
    results = run_tasks(inputs, tasks, request.options, request.workers, request.scheduler, on_done)
    materials = list(inputs.materials.index)
    return Comparison(
        comparison_table(results, materials),
        _stacked(results, "plan"),
        _stacked(results, "mix"),
        results,
        scenario_warnings(inputs, results),
    )


def scenario_warnings(inputs: Inputs, results: list[TaskResult]) -> list[Problem]:
    """The workbook's warnings once, then per scenario its plan's own warnings (unused
    offers, shortfalls, gaps) naming the scenario, or why it has no plan."""
    found = list(inputs.warnings)
    for result in results:
        if result.tables is not None:
            found += for_scenario(result.tables.warnings, result.scenario, inputs.warnings)
        elif not result.solved:
            why = " ".join([f"no plan: {result.status}.", *result.explanation])
            found.append(Problem(why, warning=True, scenario=result.scenario))
    return distinct(found)


def _risk(solved: pd.DataFrame, failed: int) -> pd.DataFrame:
    rows = []
    for measure in ("objective", "cash_spend", "penalties", "shortfall_t"):
        values = solved[measure].to_numpy(float)
        row = {"measure": measure, **percentiles(values)}
        row.update(
            mean=float(values.mean()) if len(values) else np.nan,
            min=float(values.min()) if len(values) else np.nan,
            max=float(values.max()) if len(values) else np.nan,
            solved_samples=len(values),
            failed_samples=failed,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _supplier_use(results: list[TaskResult], inputs: Inputs) -> pd.DataFrame:
    """Per offer: in how many solved samples it delivers, that share, and its mean tonnes."""
    solved = [result.usage for result in results if result.solved and result.usage is not None]
    tonnes = np.array(solved).reshape(len(solved), len(inputs.offers))
    table = inputs.offers[["supplier", "material", "country"]].copy()
    table["samples_used"] = (tonnes > 0).sum(axis=0)
    table["share_of_samples"] = table["samples_used"] / len(solved) if solved else 0.0
    table["mean_t"] = tonnes.mean(axis=0) if solved else 0.0
    return table.sort_values("share_of_samples", ascending=False, kind="stable")


def sweep(
    inputs: Inputs, request: Request, on_done: Callable[[TaskResult], None] | None = None
) -> Sweep:
    """Solve `samples` licence draws of the request's scenario and summarise the risk."""
    scenario = stressed_scenario(inputs, request)
    scenarios, draws = sample_scenarios(scenario, request.samples, request.seed, inputs.periods)
    tasks = [
        Task(index, sampled, detail=False, envelope=scenario)
        for index, sampled in enumerate(scenarios)
    ]
    results = run_tasks(inputs, tasks, request.options, request.workers, request.scheduler, on_done)
    rows = pd.DataFrame([{"status": r.status, **_measures(r)} for r in results])
    samples = pd.concat([draws[["sample"]], rows, draws.drop(columns="sample")], axis=1)
    solved = samples[samples["status"].isin(PLAN_STATUSES)]
    return Sweep(
        scenario=scenario.name,
        seed=request.seed,
        samples=samples,
        risk=_risk(solved, len(samples) - len(solved)),
        suppliers=_supplier_use(results, inputs),
        results=results,
    )
