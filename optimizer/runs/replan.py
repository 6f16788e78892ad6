"""`reopt replan`: the nightly job. Never loses a plan, never overlaps, says what changed.

Under the folder lock: record the run, read the input once (those bytes are what is
solved, hashed and kept as the run's input copy, whatever happens to the file meanwhile),
solve base and the scenarios (the what-if machinery), write plan.xlsx (with Changes
against the last successful run), whatif.xlsx, robust.xlsx when a scenario has a
probability (SPEC §6), the input copy and run.json into a hidden temporary folder, and
rename it to `DIR/<UTC timestamp>-r<run id>` only when complete. A failure records its
error and exit code and writes no plan folder; earlier folders are never touched, except
by `--keep`, which decides from the history's run ids, never from folder names or clocks.

A run never depends on an earlier folder being intact: Changes compares with the newest
earlier run whose plan.xlsx can be read back, and names the runs it skipped (a warning).
Ctrl-C or SIGTERM records the run as `interrupted`; a full disk or a read-only folder is
an `OutputError` naming the path; a history database that cannot be read is named and
moved aside only with `--reset-history` (see docs/replan.md, Faults).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from optimizer.domain.derive import derive
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.domain.words import BASE
from optimizer.json_text import json_text
from optimizer.plan.changes import (
    Changes,
    input_changes,
    plan_changes,
    run_changes,
    supplier_changes,
)
from optimizer.plan.outcomes import Comparison, Robust, TaskResult
from optimizer.plan.tables import PlanTables
from optimizer.problems import (
    ExitCode,
    InputError,
    NoPlanError,
    Problem,
    ReoptError,
    UsageError,
    distinct,
)
from optimizer.report.plan_book import write_plan_workbook
from optimizer.report.robust_book import headline, write_robust_workbook
from optimizer.report.targets import WRITE_REFUSED, os_error_in, write_failure
from optimizer.report.whatif_book import write_comparison_workbook
from optimizer.runs import history
from optimizer.runs.lock import LockInfo, folder_lock
from optimizer.runs.results import solved_result
from optimizer.runs.robust import RobustRequest, plan_robust
from optimizer.runs.stability import Stability, stable_run
from optimizer.runs.whatif import Request, compare, compared_scenarios, tabulate
from optimizer.solver.options import PLAN_STATUSES
from optimizer.workbook.container import Container, open_container
from optimizer.workbook.validate import load_inputs

PARTIAL_PREFIX = ".partial-"
UNCHANGED = "unchanged input"


@dataclasses.dataclass(frozen=True)
class ReplanOutcome:
    """A finished run: its history id, folder and what it found."""

    run_id: int
    folder: Path
    objectives: dict[str, float | None]
    note: str | None
    compared_with: int | None
    recovered_lock: LockInfo | None
    warnings: tuple[Problem, ...] = ()
    """the warnings of every plan written, and of the run itself"""


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def folder_name(out_dir: Path, run_id: int) -> str:
    """`<UTC time>-r<run id>`: unique because run ids are (the time is for people only,
    and may step back); a name already on disk gets a counter, so none is ever reused."""
    base = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-r{run_id}"
    name, count = base, 1
    while (out_dir / name).exists():
        count += 1
        name = f"{base}-{count}"
    return name


LastPlan = tuple[pd.DataFrame, pd.DataFrame | None]
"""A scenario's plan in an earlier run: its Plan rows and its Production rows (None: that
run's book kept no Production sheet, so its recipe runs are not known)."""


@dataclasses.dataclass(frozen=True)
class ReadBack:
    """An earlier run's base plan and production (empty without runs), its inputs (None
    when its input copy cannot be read) and the other scenarios' plans of its whatif.xlsx
    (`whatif_problem`: why that book could not be read)."""

    plan: pd.DataFrame
    production: pd.DataFrame
    inputs: Inputs | None
    whatif: dict[str, LastPlan] = dataclasses.field(default_factory=dict)
    whatif_problem: str | None = None

    def last_plan(self, scenario: str) -> LastPlan | None:
        """The scenario's plan in that run (None: it had none, or did not exist)."""
        if scenario == BASE:
            return self.plan, self.production
        return self.whatif.get(scenario)


def _rows(sheet: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """One scenario's rows of a sheet that stacks every scenario's, without the column."""
    if "scenario" not in sheet.columns:
        return pd.DataFrame()
    return sheet[sheet["scenario"].astype(str) == scenario].drop(columns="scenario")


def _whatif_plans(path: Path) -> dict[str, LastPlan]:
    """Each scenario that had a plan in an earlier whatif.xlsx, and that plan."""
    open_container(path)
    sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
    table = sheets["Comparison"]
    solved = table.loc[table["status"].isin(PLAN_STATUSES), "scenario"].astype(str)
    production = sheets.get("Production")
    return {
        name: (_rows(sheets["Plan"], name), None if production is None else _rows(production, name))
        for name in solved
    }


def _read_back(folder: Path) -> ReadBack:
    """The plans and inputs of an earlier run, read through the workbook container guards;
    only its plan.xlsx must be readable."""
    plan_path = folder / "plan.xlsx"
    open_container(plan_path)
    sheets = pd.read_excel(plan_path, sheet_name=None, engine="calamine")
    try:
        inputs = load_inputs(folder / "input.xlsx")
    except ReoptError:
        inputs = None
    try:
        whatif, problem = _whatif_plans(folder / "whatif.xlsx"), None
    except Exception as error:  # whatever is wrong with it, its scenarios' plans are unknown
        whatif, problem = {}, _reason(error)
    production = sheets.get("Production", pd.DataFrame())
    return ReadBack(sheets["Plan"], production, inputs, whatif, problem)


def _reason(error: Exception) -> str:
    if isinstance(error, InputError) and error.errors:
        return error.errors[0].message
    return f"{type(error).__name__}: {error}"


def _compare(
    previous: history.Run,
    old: ReadBack,
    inputs: Inputs,
    tables: PlanTables,
) -> Changes:
    """The Changes sheet against one earlier run whose plan was read back."""
    old_plan, old_inputs = old.plan, old.inputs
    old_objective = previous.objectives.get("base")
    new_objective = tables.summary.objective
    heading: list[tuple[str, object]] = [
        ("Changes against run", f"#{previous.id} of {previous.started} ({previous.folder})"),
        ("input_sha256 then", previous.input_sha256),
        ("input_sha256 now", inputs.sha256),
        ("objective then", old_objective),
        ("objective now", new_objective),
        ("objective change", None if old_objective is None else new_objective - old_objective),
    ]
    if old_inputs is None:
        heading.append(("inputs", "the earlier input copy could not be read; no input diff"))
    return Changes(
        heading,
        plan_changes(old_plan, tables.plan),
        supplier_changes(old_plan, tables.plan),
        input_changes(old_inputs, inputs) if old_inputs is not None else pd.DataFrame(),
        run_changes(old.production, tables.production),
    )


@dataclasses.dataclass(frozen=True)
class LastRun:
    """The newest earlier run that could be read back (None: none could), and the runs
    skipped on the way (each a sentence)."""

    run: history.Run | None
    read_back: ReadBack | None
    skipped: list[str]


def last_readable(out_dir: Path, run_id: int) -> LastRun:
    """The newest earlier successful run whose plan.xlsx can be read back."""
    skipped: list[str] = []
    for previous in history.successes(out_dir, run_id):
        try:
            return LastRun(previous, _read_back(out_dir / str(previous.folder)), skipped)
        except Exception as error:  # whatever is wrong with that folder, it is not intact
            skipped.append(
                f"run #{previous.id} ({previous.folder}): its plan.xlsx is missing or unreadable "
                f"({_reason(error)}); compared with an earlier run instead"
            )
    return LastRun(None, None, skipped)


def changes_since(last: LastRun, inputs: Inputs, tables: PlanTables) -> Changes:
    """Changes against the last run that could be read back (none: a first run)."""
    if last.run is not None and last.read_back is not None:
        changes = _compare(last.run, last.read_back, inputs, tables)
        changes.heading.extend(("skipped", text) for text in last.skipped)
        return changes
    first = "first run: there is no earlier plan to compare with"
    if last.skipped:
        first = "no earlier plan could be read back to compare with"
    heading: list[tuple[str, object]] = [("Changes", first)]
    heading.extend(("skipped", text) for text in last.skipped)
    empty = pd.DataFrame()
    return Changes(heading, empty, empty, empty, empty)


def _write_folder(
    partial: Path, path: Path, source: bytes, solved: Solved, record: dict[str, object]
) -> None:
    """Every file of the run into `partial`, each fsynced; `source`: the solved bytes."""
    inputs, robust = solved.inputs, solved.robust
    partial.mkdir()
    write_plan_workbook(solved.plan, partial / "plan.xlsx", solved.changes)
    summary = {"input_file": str(path), "input_sha256": inputs.sha256, "run_id": record["run_id"]}
    write_comparison_workbook(solved.comparison, partial / "whatif.xlsx", summary)
    names = ["plan.xlsx", "whatif.xlsx", "input.xlsx", "run.json"]
    if robust is not None:
        write_robust_workbook(robust, partial / "robust.xlsx", summary)
        names.append("robust.xlsx")
    (partial / "input.xlsx").write_bytes(source)
    (partial / "run.json").write_text(json_text(record, indent=2) + "\n")
    for name in names:
        with open(partial / name, "rb") as stream:
            os.fsync(stream.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _retain(out_dir: Path, keep: int | None, written: int) -> None:
    """Delete the plan folders of successful runs beyond the newest `keep`, newest by run
    id (history rows stay). The run just `written` and the last successful run are
    always kept, and so is every folder a kept run names; a folder that no run of the
    history names is never touched."""
    if keep is None:
        return
    done = [
        run
        for run in history.runs(out_dir)
        if run.status == "ok" and run.folder and (out_dir / run.folder).is_dir()
    ]
    protected = {run.folder for run in done[:keep]} | {
        run.folder for run in done if run.id == written
    }
    for name in dict.fromkeys(str(run.folder) for run in done if run.folder not in protected):
        shutil.rmtree(out_dir / name)


def _clean_partials(out_dir: Path) -> None:
    for leftover in out_dir.glob(PARTIAL_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class ReplanJob:
    """One nightly run as the command line asks for it."""

    input_path: Path
    out_dir: Path
    request: Request = dataclasses.field(default_factory=Request)
    """the scenarios to solve (none: all) and where to solve them"""
    keep: int | None = None
    """keep only the newest N plan folders"""
    reset_history: bool = False
    """move a history database that cannot be read aside first"""
    stability: bool = True
    """SPEC §5: keep close to the last run's plan (`--no-stability`: solve as `solve` does)"""
    stability_tolerance: float | None = None
    """`--stability-tolerance`; None: Settings `stability_tolerance`"""


@dataclasses.dataclass(frozen=True)
class Night:
    """A run that holds the folder's lock and has its history row."""

    run_id: int
    partial: Path
    """the hidden folder the run writes into"""
    final: Path
    """the folder it is renamed to when complete"""
    recovered: LockInfo | None
    notes: tuple[Problem, ...]
    """what the run did to the folder before solving (a history moved aside)"""
    source: Container
    """the input as read once, at the start: what is solved, hashed and kept as input.xlsx"""


def prepare(job: ReplanJob) -> None:
    """Refuse a `--keep` below 1; create the output folder."""
    if job.keep is not None and job.keep < 1:
        raise UsageError("--keep must keep at least the newest plan folder (1)")
    try:
        job.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"{job.out_dir}: cannot create the output folder ({error.strerror})"
        ) from None


@contextlib.contextmanager
def night(job: ReplanJob) -> Iterator[Night]:
    """Hold the folder's lock and the run's history row while the run goes on; a failure
    (any exception, Ctrl-C and SIGTERM included) leaves no partial or final folder and is
    recorded with its error and exit code before it is raised again."""
    out_dir = job.out_dir
    try:
        with folder_lock(out_dir) as recovered:
            notes = []
            moved = history.reset_unreadable(out_dir) if job.reset_history else None
            if moved is not None:
                text = f"the unreadable run history was moved aside to {moved}"
                notes.append(Problem(text, warning=True))
            run_id = history.start_run(out_dir, str(job.input_path))
            partial = out_dir / f"{PARTIAL_PREFIX}{run_id}"
            final = out_dir / folder_name(out_dir, run_id)
            source: Container | None = None
            try:
                history.mark_interrupted(out_dir, run_id)
                _clean_partials(out_dir)
                source = open_container(job.input_path)
                yield Night(run_id, partial, final, recovered, tuple(notes), source)
            except BaseException as error:
                failure = _as_reopt_error(error, partial)
                for written in (partial, final):
                    with contextlib.suppress(OSError):
                        shutil.rmtree(written)
                sha256 = source.sha256 if source is not None else _sha256(job.input_path)
                _record_failure(out_dir, run_id, sha256, error, failure)
                if failure is not None and failure is not error:
                    raise failure from None
                raise
    except OSError as error:
        if error.errno not in WRITE_REFUSED:
            raise
        raise write_failure(error, error.filename or out_dir) from None


def _as_reopt_error(error: BaseException, partial: Path) -> ReoptError | None:
    """The error to report: a write failure (full disk, read-only) as an `OutputError`."""
    if isinstance(error, ReoptError):
        return error
    cause = os_error_in(error) if isinstance(error, Exception) else None
    if cause is None or cause.errno not in WRITE_REFUSED:
        return None
    return write_failure(cause, cause.filename or partial)


def _record_failure(
    out_dir: Path, run_id: int, sha256: str | None, error: BaseException, failure: ReoptError | None
) -> None:
    """Record a failed or interrupted run; a history that cannot be written is not fatal here."""
    if isinstance(error, KeyboardInterrupt):
        fields: dict[str, object] = {
            "status": "interrupted", "exit_code": int(ExitCode.INTERRUPTED),
            "note": "interrupted by a signal (Ctrl-C or SIGTERM)",
        }  # fmt: skip
    else:
        code = failure.exit_code if failure is not None else ExitCode.INTERNAL
        text = "\n".join(failure.lines()) if failure is not None else repr(error)
        fields = {"status": "failed", "exit_code": int(code), "error": text}
    with contextlib.suppress(ReoptError, OSError):
        history.finish_run(out_dir, run_id, input_sha256=sha256, **fields)


def base_plan(comparison: Comparison) -> PlanTables:
    """The base scenario's plan, which the night must have."""
    base = comparison.results[0]
    if not base.solved or base.tables is None:
        raise NoPlanError(f"base scenario: {base.status}", base.explanation)
    return base.tables


def solve_scenarios(inputs: Inputs, job: ReplanJob) -> Comparison:
    """Base and every scenario of the job, as `reopt whatif` solves them; the base
    scenario must have a plan."""
    comparison = compare(inputs, job.request)
    base_plan(comparison)
    return comparison


def robust_or_warning(inputs: Inputs) -> tuple[Robust | None, list[Problem]]:
    """The robust plan when a scenario has a probability; without a plan, a warning.

    Like a scenario without a plan, a robust model without one does not fail the night.
    """
    if not inputs.scenarios["probability"].notna().any():
        return None, []
    try:
        return plan_robust(inputs, RobustRequest()), []
    except NoPlanError as error:
        return None, [Problem(f"robust plan not written: {error.lines()[0]}", warning=True)]


@dataclasses.dataclass(frozen=True)
class Solved:
    """What a night solved and compares, ready to be written."""

    inputs: Inputs
    comparison: Comparison
    """every scenario's plan, each as stable as `stability` says"""
    plan: PlanTables
    """the base scenario's plan"""
    changes: Changes
    previous: history.Run | None
    robust: Robust | None
    warnings: list[Problem]
    """every warning of the plans written, each naming its scenario, and the runs skipped"""
    stability: dict[str, Stability] = dataclasses.field(default_factory=dict)
    """what each scenario kept of the last run's plan (absent: solved optimally)"""


def stable_result(
    inputs: Inputs, job: ReplanJob, scenario: Scenario, optimal: TaskResult, last: LastPlan
) -> tuple[TaskResult, Stability | None]:
    """The scenario's plan closest to its `last` plan within the tolerance (SPEC §5), or
    its optimal one when the last plan's recipe runs are not known."""
    instance = derive(inputs, scenario)
    plan, production = last
    if production is None:
        if instance.data.runs:
            return optimal, None
        production = pd.DataFrame()
    tolerance = job.stability_tolerance
    if tolerance is None:
        tolerance = inputs.settings.stability_tolerance
    started = time.perf_counter() - optimal.seconds
    run, stability = stable_run(instance, job.request.options, tolerance, (plan, production))
    if run.tables is None or optimal.tables is None:
        return optimal, None
    tables = dataclasses.replace(run.tables, savings=optimal.tables.savings)
    result = solved_result(optimal.index, dataclasses.replace(run, tables=tables), started)
    return result, stability


def stable_scenarios(
    inputs: Inputs, job: ReplanJob, comparison: Comparison, last: LastRun
) -> tuple[Comparison, dict[str, Stability], list[Problem]]:
    """Every solved scenario kept close to its plan in the last run (SPEC §5); one that
    has no plan there, or none that can be read, stays optimal. Also the warnings: a
    last whatif.xlsx that cannot be read, a stable plan that could not be solved."""
    old = last.read_back
    if not job.stability or old is None or last.run is None:
        return comparison, {}, []
    results, found, warnings = [], {}, []
    scenarios = compared_scenarios(inputs, job.request)
    for scenario, optimal in zip(scenarios, comparison.results, strict=True):
        plan = old.last_plan(scenario.name) if optimal.solved else None
        result, stability = optimal, None
        try:
            if plan is not None:
                result, stability = stable_result(inputs, job, scenario, optimal, plan)
        except NoPlanError as error:
            text = f"no stable plan ({error.lines()[0]}); its optimal plan is written"
            warnings.append(Problem(text, warning=True, scenario=scenario.name))
        results.append(result)
        if stability is not None:
            found[scenario.name] = stability
    if old.whatif_problem is not None and len(scenarios) > 1:
        text = (
            f"run #{last.run.id}: its whatif.xlsx could not be read ({old.whatif_problem}); "
            "the scenarios other than base are solved without stability"
        )
        warnings.append(Problem(text, warning=True))
    return tabulate(inputs, scenarios, results), found, warnings


def compare_with_last(current: Night, job: ReplanJob, inputs: Inputs) -> Solved:
    """Solve the night's scenarios (and the robust plan), keep each close to its plan in
    the last run that can be read back, and compare base with that run."""
    optimal = solve_scenarios(inputs, job)
    last = last_readable(job.out_dir, current.run_id)
    comparison, stability, notes = stable_scenarios(inputs, job, optimal, last)
    plan = base_plan(comparison)
    changes = changes_since(last, inputs, plan)
    if BASE in stability:
        changes.heading[1:1] = stability[BASE].heading()
    previous, skipped = last.run, last.skipped
    skipped_warnings = [Problem(text, warning=True) for text in skipped] + notes
    plan.warnings.extend(skipped_warnings)
    robust, robust_warnings = robust_or_warning(inputs)
    plan.warnings.extend(robust_warnings)
    warnings = [*current.notes, *skipped_warnings, *comparison.warnings, *robust_warnings]
    if robust is not None:
        warnings += robust.warnings
    return Solved(
        inputs, comparison, plan, changes, previous, robust, distinct(warnings), stability
    )


def objectives(solved: Solved) -> dict[str, float | None]:
    """Each scenario's objective (None: no plan), and the robust plan's figures."""
    found: dict[str, float | None] = {
        r.scenario: None if r.summary is None else r.summary.objective
        for r in solved.comparison.results
    }
    robust = solved.robust
    if robust is not None:
        found |= {
            "(robust) objective": robust.objective,
            "(robust) vss": robust.vss,
            "(robust) evpi": robust.evpi,
        }
    return found


def scenario_record(solved: Solved, result: TaskResult) -> dict[str, object]:
    """run.json's entry of one scenario: status, Summary figures and, for a plan, the
    optimum (the objective itself when the plan was solved without stability)."""
    if result.summary is None:
        return {"status": result.status}
    record = {"status": result.status, **result.summary.as_record()}
    stability = solved.stability.get(result.scenario)
    record |= {"optimum": result.summary.objective} if stability is None else stability.as_record()
    return record


def write_night(current: Night, job: ReplanJob, solved: Solved) -> ReplanOutcome:
    """Write the run's folder, rename it into place, record the run and prune old folders."""
    inputs, previous = solved.inputs, solved.previous
    note = UNCHANGED if previous and previous.input_sha256 == inputs.sha256 else None
    found = objectives(solved)
    record = {
        "run_id": current.run_id,
        "folder": current.final.name,
        "input": str(job.input_path),
        "input_sha256": inputs.sha256,
        "note": note,
        "compared_with": previous.id if previous else None,
        "recovered_stale_lock": current.recovered.__dict__ if current.recovered else None,
        "scenarios": {r.scenario: scenario_record(solved, r) for r in solved.comparison.results},
        "warnings": [problem.as_dict() for problem in solved.warnings],
    }
    if solved.robust is not None:
        record["robust"] = headline(solved.robust)
    _write_folder(current.partial, job.input_path, current.source.data, solved, record)
    os.rename(current.partial, current.final)
    _fsync_folder(job.out_dir)
    history.finish_run(
        job.out_dir, current.run_id, status="ok", exit_code=0, objectives=found,
        folder=current.final.name, note=note, input_sha256=inputs.sha256,
    )  # fmt: skip
    _retain(job.out_dir, job.keep, current.run_id)
    return ReplanOutcome(
        current.run_id, current.final, found, note, previous.id if previous else None,
        current.recovered, tuple(solved.warnings),
    )  # fmt: skip
