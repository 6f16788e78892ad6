"""`reopt whatif`: scenarios side by side, ad-hoc stress tests, Monte Carlo licence sweeps.

Every scenario is solved by the same single-scenario pipeline as `reopt solve`, so each
objective here equals `reopt solve --scenario` exactly.

A measure that has no value (a scenario without a plan, a change against a base whose
objective is 0 or that has no plan, the share of a material nobody ships, a percentile
of a sweep whose samples all failed) is None, a blank cell and a JSON null, never NaN,
and the row's `blank_because` says why.
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
from optimizer.runs.samples import solve_order
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


BLANK_BECAUSE = "blank_because"
"""The column that says why a row's blank measures have no value."""


def _top_shares(
    mix: pd.DataFrame | None, materials: list[str], blank: dict[str, str]
) -> dict[str, object]:
    """Per material, the country most tonnes ship from and its share of the tonnes
    (the same measure as the plan Dashboard's); `blank` hears of the materials not shipped."""
    row: dict[str, object] = {}
    for material in materials:
        rows = mix[mix["material"] == material] if mix is not None else pd.DataFrame()
        shipped = rows["shipped_from_t"] if len(rows) else pd.Series(dtype=float)
        top = rows.loc[shipped.idxmax()] if shipped.sum() > 0 else None
        row[f"{material}: top shipping country"] = None if top is None else top["country"]
        row[f"{material}: shipped share"] = (
            None if top is None else float(top["shipped_from_t"] / shipped.sum())
        )
        if top is None and mix is not None:
            blank[f"{material}: shipped share"] = f"no {material} is shipped"
    return row


def _changes(objective: object, base: TaskResult | None, blank: dict[str, str]) -> list[object]:
    """The change of `objective` against the base scenario's, absolute and relative."""
    if not isinstance(objective, float | int):
        return [None, None]
    if base is None or not base.solved:
        why = f"the base scenario has no plan ({_why(base)})" if base else "no base scenario"
        blank |= {"change_vs_base": why, "change_vs_base_pct": why}
        return [None, None]
    reference = base.summary.objective if base.summary is not None else 0.0
    if reference == 0:
        blank["change_vs_base_pct"] = "the base objective is 0"
        return [objective - reference, None]
    return [objective - reference, objective / reference - 1]


def _why(result: TaskResult) -> str:
    """Why a scenario has no plan, in the solver's words."""
    return result.status.removeprefix("No plan: ")


def _as_blank(table: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None (NaN is not a value: JSON has none, and it says nothing)."""
    for column in table.columns:
        if table[column].isna().any():
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def comparison_table(results: list[TaskResult], materials: list[str]) -> pd.DataFrame:
    """One row per scenario: status, measures, change against base, top country shares,
    and why any of them is blank."""
    rows = []
    base = results[0] if results else None
    for result in results:
        row: dict[str, object] = {"scenario": result.scenario, "status": result.status}
        blank: dict[str, str] = {}
        row.update(_measures(result))
        changes = _changes(row["objective"], base, blank)
        row["change_vs_base"], row["change_vs_base_pct"] = changes
        mix = result.tables.mix if result.tables else None
        row.update(_top_shares(mix, materials, blank))
        if not result.solved:
            blank = {"every measure": f"the scenario has no plan ({_why(result)})"}
        row[BLANK_BECAUSE] = "; ".join(f"{name}: {why}" for name, why in blank.items()) or None
        rows.append(row)
    columns = ["scenario", "status", *MEASURES, "change_vs_base", "change_vs_base_pct"]
    for material in materials:
        columns += [f"{material}: top shipping country", f"{material}: shipped share"]
    return _as_blank(pd.DataFrame(rows, columns=[*columns, BLANK_BECAUSE]))


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
    return tabulate(inputs, scenarios, results)


def tabulate(inputs: Inputs, scenarios: list[Scenario], results: list[TaskResult]) -> Comparison:
    """The comparison of the `scenarios`' solved `results` (base first): table, stacked
    plans, warnings, descriptions."""
    materials = list(inputs.materials.index)
    return Comparison(
        comparison_table(results, materials),
        _stacked(results, "plan"),
        _stacked(results, "mix"),
        results,
        scenario_warnings(inputs, results),
        {s.name: s.description for s in scenarios if s.description},
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
        row: dict[str, object] = {"measure": measure, **percentiles(values)}
        row.update(
            mean=float(values.mean()) if len(values) else None,
            min=float(values.min()) if len(values) else None,
            max=float(values.max()) if len(values) else None,
            solved_samples=len(values),
            failed_samples=failed,
        )
        row[BLANK_BECAUSE] = None if len(values) else f"none of the {failed} samples has a plan"
        rows.append(row)
    return _as_blank(pd.DataFrame(rows))


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
        Task(index, scenarios[index], detail=False, envelope=scenario)
        for index in solve_order(scenarios)
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
