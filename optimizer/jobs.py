"""Whole commands above one scenario: the what-if comparison and the licence sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optimizer.output import check_target, default_output
from optimizer.parallel import TaskResult
from optimizer.problems import UsageError
from optimizer.validate import load_inputs
from optimizer.whatif import Comparison, Request, Sweep, compare, sweep
from optimizer.whatif_report import write_comparison_workbook, write_sweep_workbook


@dataclass(frozen=True)
class WhatifOutcome:
    """What `reopt whatif` produced and where it wrote it."""

    target: Path
    summary: dict[str, object]
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
        return WhatifOutcome(target, summary, sweep=result)
    comparison = compare(inputs, request, on_done)
    summary["scenarios"] = len(comparison.results)
    summary["scenarios_without_plan"] = sum(not r.solved for r in comparison.results)
    write_comparison_workbook(comparison, target, summary, inputs.warnings)
    return WhatifOutcome(target, summary, comparison=comparison)
