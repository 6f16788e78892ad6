"""The `reopt` command line (click): validate | solve | whatif | robust | replan | history.

A user mistake prints one clear block of text and exits 2; no plan exits 3; a bug
exits 1 with a hint to rerun with `--debug`, which shows the traceback. The pipeline is
imported inside each command's guarded body, so even a missing dependency (reopt
refuses to run without defusedxml) ends in a message, not a traceback. Ctrl-C and
SIGTERM end any command with one line and exit 130; a write that fails for lack of
space or permission is an output error naming the path (exit 2), wherever it happens.
"""

from __future__ import annotations

import _thread
import contextlib
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from optimizer.console import (
    StageLog,
    comparison_text,
    failure_json,
    first_problem,
    robust_json,
    robust_text,
    summary_json,
    summary_text,
    sweep_text,
    warning_lines,
)
from optimizer.problems import ExitCode, ReoptError
from optimizer.report.targets import WRITE_REFUSED, os_error_in, write_failure
from optimizer.solver.options import METHODS, SolveOptions

DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks for every error.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
INPUT = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
TIME_LIMIT = click.option(
    "--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per solve."
)
MIP_GAP = click.option(
    "--mip-gap",
    type=click.FloatRange(min=0),
    help="Relative gap at which an integer model stops (default: Settings mip_gap).",
)
WORKERS = click.option(
    "--workers", type=click.IntRange(min=1), help="Local processes (default: CPU count)."
)
SCHEDULER = click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:8786.")


INTERRUPTED = 130
"""Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that it unwinds like Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C while a command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(error: ReoptError, debug: bool, as_json: bool) -> int:
    if debug:
        traceback.print_exc()
    click.echo("\n".join(error.lines()), err=True)
    if as_json:
        click.echo(json.dumps(failure_json(error, int(error.exit_code))))
    return int(error.exit_code)


def run_guarded(body: Callable[[], int], debug: bool, as_json: bool) -> None:
    """Run a command body and turn every outcome into an exit code (SPEC §3)."""
    try:
        with _signals_unwind():
            code = body()
    except ReoptError as error:
        code = _report(error, debug, as_json)
    except KeyboardInterrupt as error:
        how = "SIGTERM" if isinstance(error, Terminated) else "Ctrl-C"
        click.echo(f"reopt: interrupted ({how}); no plan was written", err=True)
        if as_json:
            click.echo(json.dumps({"status": "interrupted", "exit_code": INTERRUPTED}))
        code = INTERRUPTED
    except Exception as error:  # the last line of defence for bugs
        cause = os_error_in(error)
        if cause is not None and cause.errno in WRITE_REFUSED:  # a full disk is not a bug
            code = _report(write_failure(cause), debug, as_json)
        else:
            code = _internal(error, debug, as_json)
    sys.exit(code)


def _internal(error: Exception, debug: bool, as_json: bool) -> int:
    if debug:
        traceback.print_exc()
    click.echo(
        f"reopt: internal error ({type(error).__name__}: {error}). Nothing was written. "
        "Please report it; rerun with --debug to see the traceback.",
        err=True,
    )
    if as_json:
        click.echo(json.dumps(failure_json(error, int(ExitCode.INTERNAL))))
    return int(ExitCode.INTERNAL)


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
        from optimizer.commands import validate_workbook

        inputs, sizes = validate_workbook(input_path)
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
            click.echo("\n".join(warning_lines(warnings, str(input_path))))
        return 0

    run_guarded(body, debug, as_json)


@cli.command(name="solve")
@INPUT
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Plan workbook to write.")
@click.option("--scenario", help="Scenario to solve (default: Settings scenario, else base).")
@TIME_LIMIT
@MIP_GAP
@click.option("--threads", type=click.IntRange(min=1), help="HiGHS threads.")
@click.option("--method", type=click.Choice(METHODS), default="choose", show_default=True)
@JSON
@DEBUG
def solve_command(
    input_path: Path,
    output: Path | None,
    scenario: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    method: str,
    as_json: bool,
    debug: bool,
) -> None:
    """Solve one scenario of INPUT and write the plan workbook."""

    def body() -> int:
        from optimizer.commands import solve_workbook

        options = SolveOptions(
            time_limit=time_limit, threads=threads, method=method, mip_gap=mip_gap
        )
        progress = None if as_json else StageLog(sys.stderr)
        run, target = solve_workbook(input_path, scenario, output, options, progress)
        if as_json:
            click.echo(json.dumps(summary_json(run.tables, target)))
            return 0
        if run.tables.warnings:
            click.echo("\n".join(warning_lines(run.tables.warnings, str(input_path))), err=True)
        click.echo(summary_text(run.tables, target))
        return 0

    run_guarded(body, debug, as_json)


STRESS_FLAGS = ("approval", "delay", "capacity", "tariff", "ban")
"""Order the stress flags are applied in: a ban comes last so no other flag undoes it."""


@cli.command(name="whatif")
@INPUT
@click.option(
    "--scenario", "scenarios", multiple=True, help="Scenario to compare (repeat; default all)."
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Workbook to write.")
@click.option(
    "--base-scenario", default="base", show_default=True, help="Scenario the flags start from."
)
@click.option(
    "--ban",
    multiple=True,
    metavar="COUNTRY:ITEMS[@PERIOD]",
    help="Export ban, e.g. China:Dy,Tb; from a period on: China:Dy,Tb@2028-01.",
)
@click.option(
    "--approval", multiple=True, metavar="COUNTRY:ITEMS=P[@PERIOD]", help="e.g. China:*=0.5."
)
@click.option(
    "--delay", multiple=True, metavar="COUNTRY:ITEMS=DAYS[@PERIOD]", help="e.g. China:Tb=90."
)
@click.option(
    "--capacity", multiple=True, metavar="COUNTRY:ITEMS=F[@PERIOD]", help="e.g. Burma:*=0."
)
@click.option(
    "--tariff",
    multiple=True,
    metavar="COUNTRY=+RATE[@PERIOD]",
    help="Added duty, e.g. China=+0.25. Any stress flag may end with @PERIOD: the measure "
    "starts in that period (earlier periods keep the workbook's rules).",
)
@click.option(
    "--demand", type=click.FloatRange(min=0), default=1.0, help="Demand factor, e.g. 1.2."
)
@click.option(
    "--samples", type=click.IntRange(min=1), help="Monte Carlo licence sweep of N samples."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sweep.")
@WORKERS
@SCHEDULER
@TIME_LIMIT
@MIP_GAP
@JSON
@DEBUG
def whatif_command(
    input_path: Path,
    scenarios: tuple[str, ...],
    output: Path | None,
    base_scenario: str,
    demand: float,
    samples: int | None,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    as_json: bool,
    debug: bool,
    **flags: tuple[str, ...],
) -> None:
    """Compare scenarios of INPUT (or sweep licence outcomes) in one workbook."""

    def body() -> int:
        from optimizer.commands import whatif_workbook
        from optimizer.domain.stress import Stress
        from optimizer.runs.parallel import Progress
        from optimizer.runs.whatif import Request

        stresses = tuple(Stress(flag, text) for flag in STRESS_FLAGS for text in flags[flag])
        request = Request(
            scenarios=scenarios,
            base_scenario=base_scenario,
            stresses=stresses,
            demand=demand,
            samples=samples or 0,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            options=SolveOptions(time_limit=time_limit, threads=1, mip_gap=mip_gap),
        )
        progress = None if as_json else Progress("whatif", sys.stderr)
        outcome = whatif_workbook(input_path, request, output, progress)
        if outcome.sweep is not None:
            record = {"risk": outcome.sweep.risk.to_dict("records")}
            text = sweep_text(outcome.sweep.risk, outcome.target, request.samples)
        else:
            table = outcome.comparison.table  # type: ignore[union-attr]
            record = {"comparison": table.to_dict("records")}
            text = comparison_text(table, outcome.target)
        if as_json:
            record |= {"status": "ok", "exit_code": 0, "output": str(outcome.target)}
            click.echo(json.dumps(record, default=str))
        else:
            click.echo(text)
        return 0

    run_guarded(body, debug, as_json)


@cli.command(name="robust")
@INPUT
@click.option(
    "--scenario", "scenarios", multiple=True, help="Scenario of the set (repeat; SPEC §6 default)."
)
@click.option("--commit", type=int, help="K: periods whose orders are committed now.")
@click.option("--reference", help="Scenario whose own plan eev commits (default: Settings).")
@click.option("--cvar-alpha", type=float, default=0.9, show_default=True, help="α of CVaR.")
@click.option("--cvar-weight", type=float, default=0.0, show_default=True, help="β of CVaR.")
@click.option(
    "--samples", type=click.IntRange(min=1), help="N equally likely licence draws as the set."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws.")
@click.option(
    "--mip-gap",
    type=click.FloatRange(min=0),
    help="Relative gap of an integer model (SPEC §7); a linear model is solved exactly.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Workbook to write.")
@TIME_LIMIT
@JSON
@DEBUG
def robust_command(
    input_path: Path,
    scenarios: tuple[str, ...],
    commit: int | None,
    reference: str | None,
    cvar_alpha: float,
    cvar_weight: float,
    samples: int | None,
    seed: int,
    mip_gap: float | None,
    output: Path | None,
    time_limit: float | None,
    as_json: bool,
    debug: bool,
) -> None:
    """One plan to commit now that holds up across the scenarios of INPUT (SPEC §6)."""

    def body() -> int:
        from optimizer.commands import robust_workbook
        from optimizer.runs.robust import RobustRequest

        request = RobustRequest(
            scenarios=scenarios,
            commit=commit,
            reference=reference,
            alpha=cvar_alpha,
            beta=cvar_weight,
            samples=samples or 0,
            seed=seed,
            mip_gap=mip_gap,
            options=SolveOptions(time_limit=time_limit),
        )
        progress = None if as_json else StageLog(sys.stderr)
        robust, target = robust_workbook(input_path, request, output, progress)
        if as_json:
            click.echo(json.dumps(robust_json(robust, target)))
            return 0
        about_input = [problem for problem in robust.warnings if problem.sheet]
        if about_input:
            click.echo("\n".join(warning_lines(about_input, str(input_path))), err=True)
        currency = str(robust.scenarios[0].tables.summary["currency"])
        click.echo(robust_text(robust, target, currency))
        return 0

    run_guarded(body, debug, as_json)


OUT_DIR = click.option(
    "--out-dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the nightly plans, the lock and the run history.",
)


@cli.command(name="replan")
@INPUT
@OUT_DIR
@click.option(
    "--scenario", "scenarios", multiple=True, help="Scenario to solve (repeat; default all)."
)
@click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N plan folders.")
@click.option(
    "--reset-history",
    is_flag=True,
    help="Move an unreadable history.sqlite aside (renamed with the time) and start anew.",
)
@WORKERS
@SCHEDULER
@TIME_LIMIT
@MIP_GAP
@JSON
@DEBUG
def replan_command(
    input_path: Path,
    out_dir: Path,
    scenarios: tuple[str, ...],
    keep: int | None,
    reset_history: bool,
    workers: int | None,
    scheduler: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    as_json: bool,
    debug: bool,
) -> None:
    """The nightly job: solve INPUT into a new timestamped folder of DIR, with history."""

    def body() -> int:
        from optimizer.runs.replan import replan
        from optimizer.runs.whatif import Request

        request = Request(
            scenarios=scenarios,
            workers=workers,
            scheduler=scheduler,
            options=SolveOptions(time_limit=time_limit, threads=1, mip_gap=mip_gap),
        )
        outcome = replan(input_path, out_dir, scenarios, keep, request, reset_history)
        record = {
            "status": "ok",
            "exit_code": 0,
            "run_id": outcome.run_id,
            "folder": str(outcome.folder),
            "objectives": outcome.objectives,
            "note": outcome.note,
            "compared_with": outcome.compared_with,
            "recovered_stale_lock": outcome.recovered_lock.__dict__
            if outcome.recovered_lock
            else None,
            "warnings": list(outcome.warnings),
        }
        if as_json:
            click.echo(json.dumps(record))
            return 0
        if outcome.recovered_lock:
            held = outcome.recovered_lock
            click.echo(
                f"recovered the stale lock of pid {held.pid} on {held.host} ({held.started})",
                err=True,
            )
        for text in outcome.warnings:
            click.echo(f"reopt: warning: {text}", err=True)
        compared = f"run #{outcome.compared_with}" if outcome.compared_with else "no earlier run"
        note = f"; {outcome.note}" if outcome.note else ""
        click.echo(
            f"Run #{outcome.run_id}: plan written to {outcome.folder} "
            f"(changes against {compared}{note})"
        )
        for name, value in outcome.objectives.items():
            shown = "no plan" if value is None else f"{value:,.2f}"
            click.echo(f"  {name:<28} {shown}")
        return 0

    run_guarded(body, debug, as_json)


@cli.command(name="history")
@OUT_DIR
@click.option("--limit", type=click.IntRange(min=1), help="Show only the newest N runs.")
@JSON
@DEBUG
def history_command(out_dir: Path, limit: int | None, as_json: bool, debug: bool) -> None:
    """List the nightly runs recorded in DIR, newest first."""

    def body() -> int:
        from optimizer.runs import history

        runs = history.runs(out_dir, limit)
        if as_json:
            click.echo(
                json.dumps({"status": "ok", "exit_code": 0, "runs": [r.as_dict() for r in runs]})
            )
            return 0
        if not runs:
            click.echo(f"{out_dir}: no runs recorded")
            return 0
        click.echo(
            f"{'run':<5} {'started (UTC)':<25}  {'status':<11} {'exit':<4} {'folder':<20} "
            f"{'base objective':>18}  input, note or first problem"
        )
        for run in runs:
            base = run.objectives.get("base")
            objective = "" if base is None else f"{base:,.2f}"
            extra_text = "; ".join(
                part for part in (run.input_path, run.note or first_problem(run.error)) if part
            )
            click.echo(
                f"#{run.id:<4} {run.started:<25}  {run.status:<11} {run.exit_code!s:<4} "
                f"{run.folder or '-':<20} {objective:>18}  {extra_text}"
            )
        return 0

    run_guarded(body, debug, as_json)


def main() -> None:
    """Console-script entry point: Ctrl-C outside a command body still ends in one line.

    Click's own handling would print `Aborted!` and exit 1 (the code of a bug) for a
    Ctrl-C while it parses the command line, so its exceptions are handled here.
    """
    sys.unraisablehook = _interrupts_are_not_lost
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
        code = cli.main(prog_name="reopt", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("reopt: interrupted; no plan was written", err=True)
        code = INTERRUPTED
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    finally:
        _ignore_signals_from_now_on()
    sys.exit(code if isinstance(code, int) else 0)


REDELIVERY_SECONDS = 0.05
"""Delay before an interrupt caught in a finaliser is raised again in the main thread."""


def _interrupts_are_not_lost(unraisable: sys.UnraisableHookArgs) -> None:
    """Ctrl-C or SIGTERM that lands in a finaliser (say a ZipFile's `__del__`) would be
    printed as "Exception ignored … Traceback" and then dropped: deliver it again to the
    main thread instead, where it ends the run cleanly. Anything else: Python's report."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        signum = signal.SIGTERM if isinstance(unraisable.exc_value, Terminated) else signal.SIGINT
        # from another thread, a moment later: raised once this hook has returned
        redelivery = threading.Timer(REDELIVERY_SECONDS, _thread.interrupt_main, (signum,))
        redelivery.daemon = True
        redelivery.start()
        return
    sys.__unraisablehook__(unraisable)


def _ignore_signals_from_now_on() -> None:
    """The outcome is decided (and recorded): a signal while the interpreter shuts down,
    where Python's own handlers are already gone, must not turn it into a death by signal."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
