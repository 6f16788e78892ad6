"""What the commands print: summaries, comparisons, sweeps, stage lines, JSON records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.problems import InputError, NoPlanError, Problem
from optimizer.solver.options import PLAN_STATUSES

if TYPE_CHECKING:
    from optimizer.plan.tables import PlanTables


def failure_json(error: BaseException, code: int) -> dict[str, object]:
    """The `--json` record of a run that ended without a result."""
    record: dict[str, object] = {"status": "failed", "exit_code": code, "error": str(error)}
    if isinstance(error, InputError):
        record["status"] = "input error"
        record["errors"] = [problem.as_dict() for problem in error.errors]
    elif isinstance(error, NoPlanError):
        record["status"] = "no plan"
        record["explanation"] = error.explanation
    return record


class StageLog:
    """Prints a line per finished stage on stderr once a run has taken a few seconds."""

    def __init__(self, stream: object, after: float = 2.0) -> None:
        self.stream = stream
        self.after = after
        self.started = time.perf_counter()
        self.pending: list[str] = []

    def __call__(self, stage: str, seconds: float) -> None:
        self.pending.append(f"reopt: {stage:<9} {seconds:8.2f} s")
        if time.perf_counter() - self.started >= self.after:
            print("\n".join(self.pending), file=self.stream, flush=True)  # type: ignore[call-overload]
            self.pending = []


def warning_lines(warnings: list[Problem], file: str) -> list[str]:
    return [f"  warning: {problem.render(file)}" for problem in warnings]


def summary_text(tables: PlanTables, target: Path) -> str:
    """The short human summary printed after a solve."""
    from optimizer.plan.tables import COST_TERMS

    s = tables.summary
    currency = s["currency"]
    lines = [
        f"Plan written to {target}",
        f"  scenario        {s['scenario']} ({s['status']})",
        f"  objective       {s['objective']:,.2f} {currency}",
    ]
    lines += [f"    {term:<13} {s[term]:,.2f}" for term in COST_TERMS]
    lines += [
        f"  purchased       {s['purchased_t']:,.3f} t",
        f"  shortfall       {s['shortfall_t']:,.3f} t",
        f"  licensed share  {s['licensed_share']:.1%}",
        f"  suppliers used  {s['suppliers_used']}"
        + (f" (integer model, gap {s['mip_gap']:.4%})" if s["integer_model"] == "yes" else ""),
        f"  solve time      {s['solve_seconds']:.2f} s",
        f"  warnings        {len(tables.warnings)} (see the Warnings sheet)",
    ]
    return "\n".join(lines)


def summary_json(tables: PlanTables, target: Path) -> dict[str, object]:
    """The `--json` object: the Summary sheet's metrics plus where the plan went."""
    record = {key: value for key, value in tables.summary.items()}
    record["output"] = str(target)
    record["warnings"] = [problem.as_dict() for problem in tables.warnings]
    record["exit_code"] = 0
    return record


def comparison_text(table: object, target: Path) -> str:
    """The scenarios compared, one line each."""
    lines = [f"Comparison written to {target}"]
    width = max((len(name) for name in table["scenario"]), default=8)  # type: ignore[index]
    for row in table.itertuples(index=False):  # type: ignore[attr-defined]
        name = f"{row.scenario:<{width}}"
        if row.status not in PLAN_STATUSES:
            lines.append(f"  {name}  {row.status}")
            continue
        change = row.change_vs_base_pct
        change_text = f"{change:+.1%}" if change == change else ""
        lines.append(
            f"  {name}  {row.objective:>18,.2f} {change_text:>8}  "
            f"shortfall {row.shortfall_t:,.3f} t"
        )
    return "\n".join(lines)


def sweep_text(risk: object, target: Path, samples: int) -> str:
    """Percentiles of a licence sweep."""
    lines = [f"Licence sweep of {samples} samples written to {target}"]
    for row in risk.itertuples(index=False):  # type: ignore[attr-defined]
        lines.append(
            f"  {row.measure:<12} P10 {row.P10:,.2f}  P50 {row.P50:,.2f}  P90 {row.P90:,.2f}  "
            f"P99 {row.P99:,.2f}  ({row.solved_samples} solved, {row.failed_samples} without plan)"
        )
    return "\n".join(lines)


def first_problem(error: str | None) -> str:
    """The first problem of a recorded error, for a one-line history listing."""
    lines = [line.strip().removeprefix("- ") for line in (error or "").splitlines() if line.strip()]
    shown = lines[1] if len(lines) > 1 else (lines[0] if lines else "")
    more = f" (+{len(lines) - 2} more)" if len(lines) > 2 else ""
    return shown + more
