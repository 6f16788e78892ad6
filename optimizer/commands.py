"""The flows of the commands: validate, solve, whatif (comparison or licence sweep), robust
and the nightly replan.

Each reads the workbook, runs one scenario (`pipeline.solve_scenario`) or many
(`runs/`), and writes its workbook; `cli.py` only parses options, `console.py` prints.
The steps of the nightly job (lock, history, folders) are in `runs/replan.py`.

Only what `validate` needs is imported with this module (pandas, the reader, derive);
Pyomo, HiGHS and the writers are imported by the flows that use them, so that
`reopt validate` never loads them (issue 15).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.domain.derive import derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import find_scenario, resolve_scenario, scenario_names
from optimizer.problems import Problem, UsageError
from optimizer.report.targets import check_target, default_output
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

if TYPE_CHECKING:
    from optimizer.pipeline import Progress, ScenarioRun
    from optimizer.plan.outcomes import Comparison, Robust, Sweep, TaskResult
    from optimizer.runs.replan import ReplanJob, ReplanOutcome
    from optimizer.runs.robust import RobustRequest
    from optimizer.runs.whatif import Request


def validate_workbook(path: Path) -> tuple[Inputs, dict[str, int]]:
    """`reopt validate`: every problem of the workbook, and each scenario's model size."""
    inputs = load_inputs(path)
    sizes = {
        name: derive(inputs, resolve_scenario(inputs, name)).data.deliveries
        for name in scenario_names(inputs)
    }
    return inputs, sizes


def solve_workbook(
    path: Path,
    scenario: str | None,
    output: Path | None,
    options: SolveOptions,
    progress: Progress = None,
) -> tuple[ScenarioRun, Path]:
    """`reopt solve`: one scenario of one workbook to one plan workbook."""
    from optimizer.pipeline import solve_scenario, timed
    from optimizer.report.plan_book import write_plan_workbook

    timings: dict[str, float] = {}
    with timed(timings, "read", progress):
        inputs = load_inputs(path)
    name = find_scenario(inputs, scenario or inputs.settings.scenario)
    target = output or default_output(path, name)
    check_target(target, [path], create_folder=output is None)
    run = solve_scenario(inputs, resolve_scenario(inputs, name), options, progress)
    with timed(timings, "write", progress):
        write_plan_workbook(run.tables, target)
    run.timings.update(timings)
    return run, target


@dataclass(frozen=True)
class WhatifOutcome:
    """What `reopt whatif` produced and where it wrote it."""

    target: Path
    summary: dict[str, object]
    warnings: list[Problem]
    """the workbook's warnings and every compared scenario's plan warnings, each naming
    its scenario (a sweep: the workbook's)"""
    comparison: Comparison | None = None
    sweep: Sweep | None = None


def _backend(request: Request) -> str:
    if request.scheduler:
        return f"dask {request.scheduler}"
    return f"{request.workers or 'all'} local worker(s)"


def whatif_workbook(
    path: Path,
    request: Request,
    output: Path | None,
    on_done: Callable[[TaskResult], None] | None = None,
) -> WhatifOutcome:
    """Compare scenarios (or sweep licence outcomes) of one workbook into one workbook."""
    from optimizer.report.whatif_book import write_comparison_workbook, write_sweep_workbook
    from optimizer.runs.whatif import compare, sweep

    if request.samples and request.scenarios:
        raise UsageError(
            "--samples sweeps one scenario: choose it with --base-scenario, not --scenario"
        )
    inputs = load_inputs(path)
    kind = "sweep" if request.samples else "whatif"
    target = output or default_output(path, kind)
    check_target(target, [path], create_folder=output is None)
    summary: dict[str, object] = {
        "input_file": str(path),
        "input_sha256": inputs.sha256,
        "currency": inputs.settings.currency,
        "backend": _backend(request),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if request.samples:
        result = sweep(inputs, request, on_done)
        summary |= {"scenario": result.scenario, "samples": request.samples, "seed": request.seed}
        write_sweep_workbook(result, target, summary)
        return WhatifOutcome(target, summary, list(inputs.warnings), sweep=result)
    comparison = compare(inputs, request, on_done)
    summary["scenarios"] = len(comparison.results)
    summary["scenarios_without_plan"] = sum(not r.solved for r in comparison.results)
    write_comparison_workbook(comparison, target, summary)
    return WhatifOutcome(target, summary, comparison.warnings, comparison=comparison)


def robust_workbook(
    path: Path, request: RobustRequest, output: Path | None, progress: Progress = None
) -> tuple[Robust, Path]:
    """`reopt robust`: the plan to commit now across scenarios, to one workbook (SPEC §6)."""
    from optimizer.pipeline import timed
    from optimizer.report.robust_book import write_robust_workbook
    from optimizer.runs.robust import check_request, plan_robust

    check_request(request)
    timings: dict[str, float] = {}
    with timed(timings, "read", progress):
        inputs = load_inputs(path)
    target = output or default_output(path, "robust")
    check_target(target, [path], create_folder=output is None)
    robust = plan_robust(inputs, request, progress)
    summary = {
        "scenarios": len(robust.scenarios),
        "input_file": str(path),
        "input_sha256": inputs.sha256,
        "currency": inputs.settings.currency,
        **robust.sizes,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    with timed(timings, "write", progress):
        write_robust_workbook(robust, target, summary)
    robust.timings.update(timings)
    return robust, target


def replan_workbook(job: ReplanJob) -> ReplanOutcome:
    """`reopt replan`: the nightly job (docs/replan.md). Under the folder's lock and with
    the run recorded in its history: solve base and every scenario, compare with the last
    run, write the run's folder atomically, record the outcome, prune old folders."""
    from optimizer.runs import replan as nightly

    nightly.prepare(job)
    with nightly.night(job) as current:
        inputs = load_inputs(job.input_path, current.source)
        solved = nightly.compare_with_last(current, job, inputs)
        return nightly.write_night(current, job, solved)
