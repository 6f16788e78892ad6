"""What the commands print: summaries, comparisons, sweeps, stage lines, JSON records.

Each command's outcome becomes one `Report` here (the text for people, or with `--json`
the one JSON object, and the lines for standard error); `exits.run_guarded` prints it.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from optimizer.json_text import json_text
from optimizer.problems import ExitCode, InputError, NoPlanError, Problem
from optimizer.solver.options import PLAN_STATUSES

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.commands import WhatifOutcome
    from optimizer.domain.inputs import Inputs
    from optimizer.pipeline import ScenarioRun
    from optimizer.plan.outcomes import Robust
    from optimizer.plan.tables import PlanTables
    from optimizer.runs.history import Run
    from optimizer.runs.replan import ReplanOutcome


MANY_SCENARIOS = 12
"""From this many scenarios on (licence draws), the console leaves out the line of each."""


@dataclass(frozen=True)
class Report:
    """What a finished command prints: `out` on standard output, `err` on standard error."""

    out: str
    err: str = ""


def failure_json(error: BaseException, code: int) -> dict[str, object]:
    """The `--json` record of a run that ended without a result."""
    record: dict[str, object] = {"status": "failed", "exit_code": code, "error": str(error)}
    if isinstance(error, KeyboardInterrupt):
        record |= {"status": "interrupted", "error": "interrupted (Ctrl-C or SIGTERM)"}
    elif isinstance(error, InputError):
        record["status"] = "input error"
        record["errors"] = [problem.as_dict() for problem in error.errors]
    elif isinstance(error, NoPlanError):
        record["status"] = "no plan"
        record["explanation"] = error.explanation
    return record


def usage_json(message: str, code: int) -> dict[str, object]:
    """The `--json` record of a command line that could not be parsed (an unknown option)."""
    return {"status": "usage error", "exit_code": code, "error": message}


def _warnings_json(warnings: list[Problem]) -> list[dict[str, object]]:
    return [problem.as_dict() for problem in warnings]


def _ok(record: dict[str, object], warnings: list[Problem]) -> Report:
    """The JSON report of a command that succeeded."""
    full = {"status": "ok", "exit_code": int(ExitCode.OK), **record}
    full["warnings"] = _warnings_json(warnings)
    return Report(json_text(full))


class StageLog:
    """Prints a line per finished stage on stderr once a run has taken a few seconds."""

    def __init__(self, stream: TextIO, after: float = 2.0) -> None:
        self.stream = stream
        self.after = after
        self.started = time.perf_counter()
        self.pending: list[str] = []

    def __call__(self, stage: str, seconds: float) -> None:
        self.pending.append(f"reopt: {stage:<9} {seconds:8.2f} s")
        if time.perf_counter() - self.started >= self.after:
            print("\n".join(self.pending), file=self.stream, flush=True)
            self.pending = []


def _warning(problem: Problem) -> str:
    """A warning in one line; a whole row is named `row 5`, not as the cell `Sheet!5`."""
    if problem.row is not None and problem.column_index is None:
        scenario = f"scenario {problem.scenario}: " if problem.scenario else ""
        return f"{scenario}row {problem.row}: {problem.message}"
    return problem.render()


def warning_lines(warnings: list[Problem], file: str) -> list[str]:
    """Every warning, most important first: the plan's own (unmet demand, then unmet
    floors, cover and end targets, in that order) before those about the input,
    which are grouped by sheet in sheet order."""
    if not warnings:
        return []
    plan = [problem for problem in warnings if problem.sheet is None]
    sheets = list(dict.fromkeys(problem.sheet for problem in warnings if problem.sheet))
    lines = [f"{len(warnings)} warning(s):"]
    if plan:
        lines.append("  about the plan:")
        lines += [f"    {_warning(problem)}" for problem in plan]
    for sheet in sheets:
        lines.append(f"  about {file}, sheet {sheet}:")
        lines += [f"    {_warning(problem)}" for problem in warnings if problem.sheet == sheet]
    return lines


def summary_text(tables: PlanTables, target: Path) -> str:
    """The short human summary printed after a solve: cash spend apart from the modelled
    costs that are not paid, then tonnes."""
    from optimizer.plan import spend

    s = tables.summary
    currency, terms = s.currency, s.terms
    modelled = s.objective - s.cash_spend
    denied = float(tables.exposure["expected_denied_t"].sum()) if len(tables.exposure) else 0.0
    lines = [
        f"Plan written to {target}",
        f"  scenario        {s.scenario} ({s.status})",
        f"  cash spend      {s.cash_spend:,.2f} {currency}",
    ]
    lines += [
        f"    {spend.words(t):<44} {v:>18,.2f}" for t, v in terms.items() if t in spend.CASH_TERMS
    ]
    lines.append(f"  modelled costs  {modelled:,.2f} {currency} (weighed by the plan, not paid)")
    lines += [
        f"    {spend.words(t):<44} {v:>18,.2f}"
        for t, v in terms.items()
        if t not in spend.CASH_TERMS
    ]
    lines += [
        f"  objective       {s.objective:,.2f} {currency} (cash spend + modelled costs)",
        f"  purchased       {s.purchased_t:,.3f} t",
        *(
            [f"  made            {s.made_t:,.3f} t at own sites (Production sheet)"]
            if s.made_t
            else []
        ),
        f"  shortfall       {s.shortfall_t:,.3f} t (every licence granted)",
        f"  expected denied {denied:,.3f} t of licensed tonnes (see the Dashboard)",
        f"  licensed share  {s.licensed_share:.1%}",
        f"  suppliers used  {s.suppliers_used} ({s.offers_used} offers: supplier and material)"
        + (f"; integer model, gap {s.mip_gap:.4%}" if s.integer_model == "yes" else ""),
        f"  solve time      {s.solve_seconds:.2f} s",
        f"  warnings        {len(tables.warnings)} (listed above and on the Warnings sheet)",
    ]
    return "\n".join(lines)


def validate_report(path: Path, inputs: Inputs, sizes: dict[str, int], as_json: bool) -> Report:
    """`reopt validate`: no problems found, each scenario's model size, the warnings."""
    if as_json:
        return _ok({"scenarios": sizes}, inputs.warnings)
    lines = [f"{path}: no problems found"]
    lines += [f"  scenario {name}: {size:,} delivery variables" for name, size in sizes.items()]
    lines += warning_lines(inputs.warnings, str(path))
    return Report("\n".join(lines))


def solve_report(path: Path, run: ScenarioRun, target: Path, as_json: bool) -> Report:
    """`reopt solve`: the Summary sheet's metrics and where the plan went."""
    tables = run.tables
    if as_json:  # `status` is the solve's: optimal, or time limit (SPEC §7)
        return _ok({**tables.summary.as_record(), "output": str(target)}, tables.warnings)
    warnings = "\n".join(warning_lines(tables.warnings, str(path)))
    return Report(summary_text(tables, target), warnings)


def comparison_text(table: pd.DataFrame, target: Path) -> str:
    """The scenarios compared, one line each."""
    lines = [f"Comparison written to {target}"]
    width = max((len(name) for name in table["scenario"]), default=8)
    for row in table.itertuples(index=False):
        name = f"{row.scenario:<{width}}"
        if row.status not in PLAN_STATUSES:
            lines.append(f"  {name}  {row.status}")
            continue
        change = row.change_vs_base_pct
        change_text = "" if change is None else f"{change:+.1%}"
        lines.append(
            f"  {name}  cash spend {row.cash_spend:>16,.2f}  "
            f"modelled {row.objective - row.cash_spend:>16,.2f}  "
            f"objective {row.objective:>16,.2f} {change_text:>8}  "
            f"shortfall {row.shortfall_t:,.3f} t"
        )
    return "\n".join(lines)


def sweep_text(risk: pd.DataFrame, target: Path, samples: int) -> str:
    """Percentiles of a licence sweep."""
    lines = [f"Licence sweep of {samples} samples written to {target}"]
    for row in risk.itertuples(index=False):
        if row.P50 is None:  # no sample has a plan: no percentile (whatif.py, blank_because)
            lines.append(f"  {row.measure:<12} no percentiles: {row.blank_because}")
            continue
        lines.append(
            f"  {row.measure:<12} P10 {row.P10:,.2f}  P50 {row.P50:,.2f}  P90 {row.P90:,.2f}  "
            f"P99 {row.P99:,.2f}  ({row.solved_samples} solved, {row.failed_samples} without plan)"
        )
    return "\n".join(lines)


def robust_text(robust: Robust, target: Path) -> str:
    """The robust plan in a buyer's words (the sentences of its Robust sheet), then each
    scenario's cost against its own best plan."""
    from optimizer.report.robust_book import robust_sentences

    lines = [f"Robust plan written to {target}"]
    for sentence in robust_sentences(robust, robust.currency, list(robust.periods)):
        lines += textwrap.wrap(sentence, 96, initial_indent="  ", subsequent_indent="    ")
    if len(robust.scenarios) <= MANY_SCENARIOS:
        width = max(len(s.name) for s in robust.scenarios)
        lines.append(f"  {'scenario':<{width}}  probability  cost under this plan  its own best")
        for outcome in robust.scenarios:
            lines.append(
                f"  {outcome.name:<{width}}  {outcome.probability:11.1%}  "
                f"{outcome.cost:>19,.0f}  {outcome.alone:>12,.0f}"
            )
    return "\n".join(lines)


def whatif_report(path: Path, outcome: WhatifOutcome, samples: int, as_json: bool) -> Report:
    """`reopt whatif`: each scenario's figures (or a sweep's percentiles) and every
    scenario's plan warnings, each naming its scenario."""
    warnings, sweep, comparison = outcome.warnings, outcome.sweep, outcome.comparison
    if sweep is not None:
        record: dict[str, object] = {"risk": sweep.risk.to_dict("records")}
        text = sweep_text(sweep.risk, outcome.target, samples)
    elif comparison is not None:
        record = {"comparison": comparison.table.to_dict("records")}
        text = comparison_text(comparison.table, outcome.target)
    if as_json:
        return _ok({**record, "output": str(outcome.target)}, warnings)
    return Report(text, "\n".join(warning_lines(warnings, str(path))))


def robust_report(path: Path, robust: Robust, target: Path, as_json: bool) -> Report:
    """`reopt robust`: the figures of SPEC §6 (one JSON object with `--json`)."""
    from optimizer.report.robust_book import headline, take_or_pay_tonnes

    if not as_json:
        warnings = "\n".join(warning_lines(robust.warnings, str(path)))
        return Report(robust_text(robust, target), warnings)
    record = headline(robust)
    record["scenarios"] = {
        s.name: {
            "probability": s.probability,
            "cost": s.cost,
            "alone": s.alone,
            **take_or_pay_tonnes(s),
        }
        for s in robust.scenarios
    }
    record["orders"] = robust.commit.to_dict("records")
    record |= {"sizes": robust.sizes, "timings": robust.timings, "output": str(target)}
    return _ok(record, robust.warnings)


def replan_report(path: Path, outcome: ReplanOutcome, as_json: bool) -> Report:
    """`reopt replan`: the run, its folder, each scenario's objective and every warning
    of the plans it wrote."""
    held = outcome.recovered_lock
    if as_json:
        record = {
            "run_id": outcome.run_id,
            "folder": str(outcome.folder),
            "objectives": outcome.objectives,
            "note": outcome.note,
            "compared_with": outcome.compared_with,
            "recovered_stale_lock": held.__dict__ if held else None,
        }
        return _ok(record, list(outcome.warnings))
    err = []
    if held:
        err.append(f"recovered the stale lock of pid {held.pid} on {held.host} ({held.started})")
    err += warning_lines(list(outcome.warnings), str(path))
    compared = f"run #{outcome.compared_with}" if outcome.compared_with else "no earlier run"
    note = f"; {outcome.note}" if outcome.note else ""
    lines = [
        f"Run #{outcome.run_id}: plan written to {outcome.folder} "
        f"(changes against {compared}{note})"
    ]
    for name, value in outcome.objectives.items():
        shown = "no plan" if value is None else f"{value:,.2f}"
        lines.append(f"  {name:<28} {shown}")
    return Report("\n".join(lines), "\n".join(err))


def history_report(out_dir: Path, runs: list[Run], as_json: bool) -> Report:
    """`reopt history`: the recorded runs, newest first."""
    if as_json:
        return Report(json_text({"status": "ok", "exit_code": int(ExitCode.OK),
                                 "runs": [run.as_dict() for run in runs]}))  # fmt: skip
    if not runs:
        return Report(f"{out_dir}: no runs recorded")
    lines = [
        f"{'run':<5} {'started (UTC)':<25}  {'status':<11} {'exit':<4} {'folder':<20} "
        f"{'base objective':>18}  input, note or first problem"
    ]
    for run in runs:
        base = run.objectives.get("base")
        objective = "" if base is None else f"{base:,.2f}"
        extra = "; ".join(
            part for part in (run.input_path, run.note or first_problem(run.error)) if part
        )
        lines.append(
            f"#{run.id:<4} {run.started:<25}  {run.status:<11} {run.exit_code!s:<4} "
            f"{run.folder or '-':<20} {objective:>18}  {extra}"
        )
    return Report("\n".join(lines))


def first_problem(error: str | None) -> str:
    """The first problem of a recorded error, for a one-line history listing."""
    lines = [line.strip().removeprefix("- ") for line in (error or "").splitlines() if line.strip()]
    shown = lines[1] if len(lines) > 1 else (lines[0] if lines else "")
    more = f" (+{len(lines) - 2} more)" if len(lines) > 2 else ""
    return shown + more
