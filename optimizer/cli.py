"""The `reopt` command line (click): validate | solve.

A user mistake prints one clear block of text and exits 2; no plan exits 3; a bug
exits 1 with a hint to rerun with `--debug`, which shows the traceback. The pipeline is
imported inside each command's guarded body, so even a missing dependency (reopt
refuses to run without defusedxml) ends in a message, not a traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from optimizer.problems import ExitCode, InputError, NoPlanError, Problem, ReoptError
from optimizer.solve import METHODS, SolveOptions

if TYPE_CHECKING:
    from optimizer.results import PlanTables

DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks for every error.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
INPUT = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))


def _failure_json(error: BaseException, code: int) -> dict[str, object]:
    record: dict[str, object] = {"status": "failed", "exit_code": code, "error": str(error)}
    if isinstance(error, InputError):
        record["status"] = "input error"
        record["errors"] = [problem.as_dict() for problem in error.errors]
    elif isinstance(error, NoPlanError):
        record["status"] = "no plan"
        record["explanation"] = error.explanation
    return record


def run_guarded(body: Callable[[], int], debug: bool, as_json: bool) -> None:
    """Run a command body and turn every outcome into an exit code (SPEC §3)."""
    try:
        code = body()
    except ReoptError as error:
        if debug:
            traceback.print_exc()
        click.echo("\n".join(error.lines()), err=True)
        if as_json:
            click.echo(json.dumps(_failure_json(error, int(error.exit_code))))
        code = int(error.exit_code)
    except KeyboardInterrupt:
        click.echo("reopt: interrupted; nothing was written", err=True)
        code = 130
    except Exception as error:  # the last line of defence for bugs
        if debug:
            traceback.print_exc()
        click.echo(
            f"reopt: internal error ({type(error).__name__}: {error}). Nothing was written. "
            "Please report it; rerun with --debug to see the traceback.",
            err=True,
        )
        if as_json:
            click.echo(json.dumps(_failure_json(error, int(ExitCode.INTERNAL))))
        code = int(ExitCode.INTERNAL)
    sys.exit(code)


def _warning_lines(warnings: list[Problem], file: str) -> list[str]:
    return [f"  warning: {problem.render(file)}" for problem in warnings]


def summary_text(tables: PlanTables, target: Path) -> str:
    """The short human summary printed after a solve."""
    from optimizer.results import COST_TERMS

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reopt")
def cli() -> None:
    """reopt: plan rare-earth purchases from an Excel workbook (see README.md)."""


@cli.command()
@INPUT
@JSON
@DEBUG
def validate(input_path: Path, as_json: bool, debug: bool) -> None:
    """Check INPUT and list every problem, without solving."""

    def body() -> int:
        from optimizer.derive import derive
        from optimizer.scenarios import resolve_scenario, scenario_names
        from optimizer.validate import load_inputs

        inputs = load_inputs(input_path)
        sizes = {
            name: derive(inputs, resolve_scenario(inputs, name)).data.deliveries
            for name in scenario_names(inputs)
        }
        warnings = inputs.warnings
        if as_json:
            record = {
                "status": "ok",
                "exit_code": 0,
                "scenarios": sizes,
                "warnings": [problem.as_dict() for problem in warnings],
            }
            click.echo(json.dumps(record))
        else:
            click.echo(f"{input_path}: no problems found")
            for name, size in sizes.items():
                click.echo(f"  scenario {name}: {size:,} delivery variables")
            click.echo("\n".join(_warning_lines(warnings, str(input_path))))
        return 0

    run_guarded(body, debug, as_json)


@cli.command(name="solve")
@INPUT
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Plan workbook to write.")
@click.option("--scenario", help="Scenario to solve (default: Settings scenario, else base).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds.")
@click.option("--threads", type=click.IntRange(min=1), help="HiGHS threads.")
@click.option("--method", type=click.Choice(METHODS), default="choose", show_default=True)
@JSON
@DEBUG
def solve_command(
    input_path: Path,
    output: Path | None,
    scenario: str | None,
    time_limit: float | None,
    threads: int | None,
    method: str,
    as_json: bool,
    debug: bool,
) -> None:
    """Solve one scenario of INPUT and write the plan workbook."""

    def body() -> int:
        from optimizer.pipeline import solve_workbook

        options = SolveOptions(time_limit=time_limit, threads=threads, method=method)
        run, target = solve_workbook(input_path, scenario, output, options)
        if as_json:
            click.echo(json.dumps(summary_json(run.tables, target)))
            return 0
        about_input = [problem for problem in run.tables.warnings if problem.sheet]
        if about_input:
            click.echo("\n".join(_warning_lines(about_input, str(input_path))), err=True)
        click.echo(summary_text(run.tables, target))
        return 0

    run_guarded(body, debug, as_json)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reopt")
