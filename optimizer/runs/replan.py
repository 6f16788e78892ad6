"""`reopt replan`: the nightly job. Never loses a plan, never overlaps, says what changed.

Under the folder lock: record the run, solve base and the scenarios (the what-if
machinery), write plan.xlsx (with Changes against the last successful run),
whatif.xlsx, robust.xlsx when a scenario has a probability (SPEC §6), a copy of the
input and run.json into a hidden temporary folder, and rename
it to `DIR/<UTC timestamp>` only when complete. A failure records its error and exit
code and writes no plan folder; earlier folders are never touched, except by `--keep`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.plan.changes import Changes, input_changes, plan_changes, supplier_changes
from optimizer.plan.outcomes import Robust, TaskResult
from optimizer.plan.tables import PlanTables
from optimizer.problems import ExitCode, NoPlanError, ReoptError, UsageError
from optimizer.report.plan_book import write_plan_workbook
from optimizer.report.robust_book import headline, write_robust_workbook
from optimizer.report.whatif_book import write_comparison_workbook
from optimizer.runs import history
from optimizer.runs.lock import LockInfo, folder_lock
from optimizer.runs.robust import RobustRequest, plan_robust
from optimizer.runs.whatif import Request, compare
from optimizer.workbook.validate import load_inputs

PARTIAL_PREFIX = ".partial-"
UNCHANGED = "unchanged input"


@dataclass(frozen=True)
class ReplanOutcome:
    """A finished run: its history id, folder and what it found."""

    run_id: int
    folder: Path
    objectives: dict[str, float | None]
    note: str | None
    compared_with: int | None
    recovered_lock: LockInfo | None


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


def _previous(out_dir: Path, run: history.Run) -> tuple[pd.DataFrame, Inputs | None]:
    """The plan and inputs of an earlier run, read back from its folder."""
    folder = out_dir / str(run.folder)
    plan = pd.read_excel(folder / "plan.xlsx", sheet_name="Plan", engine="calamine")
    try:
        inputs = load_inputs(folder / "input.xlsx")
    except ReoptError:
        inputs = None
    return plan, inputs


def changes_since(
    out_dir: Path, previous: history.Run | None, inputs: Inputs, tables: PlanTables
) -> Changes:
    """The Changes sheet of this run against the last successful one."""
    if previous is None:
        heading = [("Changes", "first run: there is no earlier plan to compare with")]
        empty = pd.DataFrame()
        return Changes(heading, empty, empty, empty)
    old_plan, old_inputs = _previous(out_dir, previous)
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
    request: Request | None = None,
) -> ReplanOutcome:  # fmt: skip
    """Run the nightly job once; raises the error that ended a failed run (recorded)."""
    if keep is not None and keep < 1:
        raise UsageError("--keep must keep at least the newest plan folder (1)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{out_dir}: cannot create the output folder ({error.strerror})") from None
    with folder_lock(out_dir) as recovered:
        run_id = history.start_run(out_dir, str(path))
        history.mark_interrupted(out_dir, run_id)
        _clean_partials(out_dir)
        partial = out_dir / f"{PARTIAL_PREFIX}{run_id}"
        final = out_dir / _stamp(out_dir)
        try:
            outcome = _run(
                path, out_dir, run_id, partial, final, scenarios, keep, request, recovered
            )
        except BaseException as error:
            for written in (partial, final):
                with contextlib.suppress(OSError):
                    shutil.rmtree(written)
            code = error.exit_code if isinstance(error, ReoptError) else ExitCode.INTERNAL
            text = "\n".join(error.lines()) if isinstance(error, ReoptError) else repr(error)
            history.finish_run(
                out_dir, run_id, status="failed", exit_code=int(code), error=text,
                input_sha256=_sha256(path),
            )  # fmt: skip
            raise
        return outcome


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
    previous = history.last_success(out_dir, run_id)
    note = UNCHANGED if previous and previous.input_sha256 == inputs.sha256 else None
    changes = changes_since(out_dir, previous, inputs, base.tables)
    objectives = {r.scenario: r.summary.get("objective") for r in comparison.results}
    robust = None
    if inputs.scenarios["probability"].notna().any():
        robust = plan_robust(inputs, RobustRequest())
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
        run_id, final, objectives, note, previous.id if previous else None, recovered
    )
