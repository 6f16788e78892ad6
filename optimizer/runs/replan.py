"""`reopt replan`: the nightly job. Never loses a plan, never overlaps, says what changed.

Under the folder lock: record the run, solve base and the scenarios (the what-if
machinery), write plan.xlsx (with Changes against the last successful run),
whatif.xlsx, robust.xlsx when a scenario has a probability (SPEC §6), a copy of the
input and run.json into a hidden temporary folder, and rename
it to `DIR/<UTC timestamp>` only when complete. A failure records its error and exit
code and writes no plan folder; earlier folders are never touched, except by `--keep`.

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
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.plan.changes import Changes, input_changes, plan_changes, supplier_changes
from optimizer.plan.outcomes import Robust, TaskResult
from optimizer.plan.tables import PlanTables
from optimizer.problems import ExitCode, InputError, NoPlanError, Problem, ReoptError, UsageError
from optimizer.report.plan_book import write_plan_workbook
from optimizer.report.robust_book import headline, write_robust_workbook
from optimizer.report.targets import WRITE_REFUSED, os_error_in, write_failure
from optimizer.report.whatif_book import write_comparison_workbook
from optimizer.runs import history
from optimizer.runs.lock import LockInfo, folder_lock
from optimizer.runs.robust import RobustRequest, plan_robust
from optimizer.runs.whatif import Request, compare
from optimizer.workbook.container import open_container
from optimizer.workbook.validate import load_inputs

PARTIAL_PREFIX = ".partial-"
UNCHANGED = "unchanged input"
INTERRUPTED_EXIT = 130
"""Exit code of a run ended by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)."""


@dataclasses.dataclass(frozen=True)
class ReplanOutcome:
    """A finished run: its history id, folder and what it found."""

    run_id: int
    folder: Path
    objectives: dict[str, float | None]
    note: str | None
    compared_with: int | None
    recovered_lock: LockInfo | None
    warnings: tuple[str, ...] = ()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _stamp(folder: Path) -> str:
    base = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name, count = base, 1
    while (folder / name).exists():
        count += 1
        name = f"{base}-{count}"
    return name


def _read_back(folder: Path) -> tuple[pd.DataFrame, Inputs | None]:
    """The plan and inputs of an earlier run, read through the workbook container guards."""
    plan_path = folder / "plan.xlsx"
    open_container(plan_path)
    plan = pd.read_excel(plan_path, sheet_name="Plan", engine="calamine")
    try:
        inputs = load_inputs(folder / "input.xlsx")
    except ReoptError:
        inputs = None
    return plan, inputs


def _reason(error: Exception) -> str:
    if isinstance(error, InputError) and error.errors:
        return error.errors[0].message
    return f"{type(error).__name__}: {error}"


def _compare(
    previous: history.Run,
    old: tuple[pd.DataFrame, Inputs | None],
    inputs: Inputs,
    tables: PlanTables,
) -> Changes:
    """The Changes sheet against one earlier run whose plan was read back."""
    old_plan, old_inputs = old
    old_objective = previous.objectives.get("base")
    new_objective = float(tables.summary["objective"])  # type: ignore[arg-type]
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
    )


def changes_since(
    out_dir: Path, run_id: int, inputs: Inputs, tables: PlanTables
) -> tuple[Changes, history.Run | None, list[str]]:
    """Changes against the newest earlier run that can be read back; the runs skipped."""
    skipped: list[str] = []
    for previous in history.successes(out_dir, run_id):
        try:
            changes = _compare(previous, _read_back(out_dir / str(previous.folder)), inputs, tables)
        except Exception as error:  # whatever is wrong with that folder, it is not intact
            skipped.append(
                f"run #{previous.id} ({previous.folder}): its plan.xlsx is missing or unreadable "
                f"({_reason(error)}); compared with an earlier run instead"
            )
            continue
        changes.heading.extend(("skipped", text) for text in skipped)
        return changes, previous, skipped
    first = "first run: there is no earlier plan to compare with"
    if skipped:
        first = "no earlier plan could be read back to compare with"
    heading: list[tuple[str, object]] = [("Changes", first)]
    heading.extend(("skipped", text) for text in skipped)
    empty = pd.DataFrame()
    return Changes(heading, empty, empty, empty), None, skipped


def _write_folder(
    partial: Path,
    path: Path,
    inputs: Inputs,
    base: TaskResult,
    comparison,
    changes: Changes,
    record: dict[str, object],
    robust: Robust | None,
) -> None:
    partial.mkdir()
    write_plan_workbook(base.tables, partial / "plan.xlsx", changes)  # type: ignore[arg-type]
    summary = {"input_file": str(path), "input_sha256": inputs.sha256, "run_id": record["run_id"]}
    write_comparison_workbook(comparison, partial / "whatif.xlsx", summary, inputs.warnings)
    names = ["plan.xlsx", "whatif.xlsx", "input.xlsx", "run.json"]
    if robust is not None:
        write_robust_workbook(robust, partial / "robust.xlsx", summary)
        names.append("robust.xlsx")
    shutil.copyfile(path, partial / "input.xlsx")
    (partial / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
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


def _retain(out_dir: Path, keep: int | None) -> list[str]:
    """Delete plan folders beyond the newest `keep` (history rows stay)."""
    if keep is None:
        return []
    folders = sorted(
        {
            run.folder
            for run in history.runs(out_dir)
            if run.folder and (out_dir / run.folder).is_dir()
        },
        reverse=True,
    )
    removed = folders[keep:]
    for name in removed:
        shutil.rmtree(out_dir / name)
    return removed


def _clean_partials(out_dir: Path) -> None:
    for leftover in out_dir.glob(PARTIAL_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)


def replan(
    path: Path, out_dir: Path, scenarios: tuple[str, ...] = (), keep: int | None = None,
    request: Request | None = None, reset_history: bool = False,
) -> ReplanOutcome:  # fmt: skip
    """Run the nightly job once; raises the error that ended a failed run (recorded).

    With `reset_history`, a history database that cannot be read is first moved aside.
    """
    if keep is not None and keep < 1:
        raise UsageError("--keep must keep at least the newest plan folder (1)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{out_dir}: cannot create the output folder ({error.strerror})") from None
    try:
        with folder_lock(out_dir) as recovered:
            notes = []
            moved = history.reset_unreadable(out_dir) if reset_history else None
            if moved is not None:
                notes.append(f"the unreadable run history was moved aside to {moved}")
            run_id = history.start_run(out_dir, str(path))
            return _recorded(
                path, out_dir, run_id, scenarios, keep, request, recovered, tuple(notes)
            )
    except OSError as error:
        if error.errno not in WRITE_REFUSED:
            raise
        raise write_failure(error, error.filename or out_dir) from None


def _recorded(
    path: Path, out_dir: Path, run_id: int, scenarios: tuple[str, ...], keep: int | None,
    request: Request | None, recovered: LockInfo | None, notes: tuple[str, ...],
) -> ReplanOutcome:  # fmt: skip
    """Run `_run` and record how it ended; a failure leaves no partial or final folder."""
    partial = out_dir / f"{PARTIAL_PREFIX}{run_id}"
    final = out_dir / _stamp(out_dir)
    try:
        history.mark_interrupted(out_dir, run_id)
        _clean_partials(out_dir)
        outcome = _run(path, out_dir, run_id, partial, final, scenarios, keep, request, recovered)
    except BaseException as error:
        failure = _as_reopt_error(error, partial)
        for written in (partial, final):
            with contextlib.suppress(OSError):
                shutil.rmtree(written)
        _record_failure(out_dir, run_id, path, error, failure)
        if failure is not None and failure is not error:
            raise failure from None
        raise
    return dataclasses.replace(outcome, warnings=notes + outcome.warnings)


def _as_reopt_error(error: BaseException, partial: Path) -> ReoptError | None:
    """The error to report: a write failure (full disk, read-only) as an `OutputError`."""
    if isinstance(error, ReoptError):
        return error
    cause = os_error_in(error) if isinstance(error, Exception) else None
    if cause is None or cause.errno not in WRITE_REFUSED:
        return None
    return write_failure(cause, cause.filename or partial)


def _record_failure(
    out_dir: Path, run_id: int, path: Path, error: BaseException, failure: ReoptError | None
) -> None:
    """Record a failed or interrupted run; a history that cannot be written is not fatal here."""
    if isinstance(error, KeyboardInterrupt):
        fields: dict[str, object] = {
            "status": "interrupted", "exit_code": INTERRUPTED_EXIT,
            "note": "interrupted by a signal (Ctrl-C or SIGTERM)",
        }  # fmt: skip
    else:
        code = failure.exit_code if failure is not None else ExitCode.INTERNAL
        text = "\n".join(failure.lines()) if failure is not None else repr(error)
        fields = {"status": "failed", "exit_code": int(code), "error": text}
    with contextlib.suppress(ReoptError, OSError):
        history.finish_run(out_dir, run_id, input_sha256=_sha256(path), **fields)


def _robust_or_warning(inputs: Inputs, warnings: list[Problem]) -> Robust | None:
    """The robust plan when a scenario has a probability; without a plan, a warning.

    Like a scenario without a plan, a robust model without one does not fail the night.
    """
    if not inputs.scenarios["probability"].notna().any():
        return None
    try:
        return plan_robust(inputs, RobustRequest())
    except NoPlanError as error:
        warnings.append(Problem(f"robust plan not written: {error.lines()[0]}", warning=True))
        return None


def _run(
    path: Path,
    out_dir: Path,
    run_id: int,
    partial: Path,
    final: Path,
    scenarios: tuple[str, ...],
    keep: int | None,
    request: Request | None,
    recovered: LockInfo | None,
) -> ReplanOutcome:
    inputs = load_inputs(path)
    request = Request(scenarios=scenarios) if request is None else request
    comparison = compare(inputs, request)
    base = comparison.results[0]
    if not base.solved or base.tables is None:
        raise NoPlanError(f"base scenario: {base.status}", base.explanation)
    changes, previous, skipped = changes_since(out_dir, run_id, inputs, base.tables)
    base.tables.warnings.extend(Problem(text, warning=True) for text in skipped)
    note = UNCHANGED if previous and previous.input_sha256 == inputs.sha256 else None
    objectives = {r.scenario: r.summary.get("objective") for r in comparison.results}
    robust = _robust_or_warning(inputs, base.tables.warnings)
    if robust is not None:
        objectives |= {
            "(robust) objective": robust.objective,
            "(robust) vss": robust.vss,
            "(robust) evpi": robust.evpi,
        }
    stamp = final.name
    record = {
        "run_id": run_id,
        "folder": stamp,
        "input": str(path),
        "input_sha256": inputs.sha256,
        "note": note,
        "compared_with": previous.id if previous else None,
        "recovered_stale_lock": recovered.__dict__ if recovered else None,
        "scenarios": {r.scenario: {"status": r.status, **r.summary} for r in comparison.results},
    }
    if robust is not None:
        record["robust"] = headline(robust)
    _write_folder(partial, path, inputs, base, comparison, changes, record, robust)
    os.rename(partial, final)
    _fsync_folder(out_dir)
    history.finish_run(
        out_dir, run_id, status="ok", exit_code=0, objectives=objectives, folder=stamp,
        note=note, input_sha256=inputs.sha256,
    )  # fmt: skip
    _retain(out_dir, keep)
    return ReplanOutcome(
        run_id, final, objectives, note, previous.id if previous else None, recovered,
        tuple(skipped),
    )  # fmt: skip
