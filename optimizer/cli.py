"""The `reopt` command line (click): validate | solve | whatif | robust | replan | history.

Each command parses its options, calls its flow in `commands.py` and hands the outcome
to `console.py`, which writes every text and JSON; `exits.run_guarded` prints it and
turns every outcome into an exit code (SPEC §3). The flows are imported inside each
command's guarded body, so even a missing dependency (reopt refuses to run without
defusedxml) ends in a message, not a traceback, and `--help` loads no solver.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer import console
from optimizer.exits import entry, run_guarded
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

    def body() -> console.Report:
        from optimizer.commands import validate_workbook

        inputs, sizes = validate_workbook(input_path)
        return console.validate_report(input_path, inputs, sizes, as_json)

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

    def body() -> console.Report:
        from optimizer.commands import solve_workbook

        options = SolveOptions(
            time_limit=time_limit, threads=threads, method=method, mip_gap=mip_gap
        )
        run, target = solve_workbook(input_path, scenario, output, options, _stages(as_json))
        return console.solve_report(input_path, run, target, as_json)

    run_guarded(body, debug, as_json)


def _stages(as_json: bool) -> console.StageLog | None:
    """Stage lines on stderr for people; none with `--json`."""
    return None if as_json else console.StageLog(sys.stderr)


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

    def body() -> console.Report:
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
        return console.whatif_report(input_path, outcome, request.samples, as_json)

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

    def body() -> console.Report:
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
        robust, target = robust_workbook(input_path, request, output, _stages(as_json))
        return console.robust_report(input_path, robust, target, as_json)

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

    def body() -> console.Report:
        from optimizer.commands import replan_workbook
        from optimizer.runs.replan import ReplanJob
        from optimizer.runs.whatif import Request

        request = Request(
            scenarios=scenarios,
            workers=workers,
            scheduler=scheduler,
            options=SolveOptions(time_limit=time_limit, threads=1, mip_gap=mip_gap),
        )
        job = ReplanJob(input_path, out_dir, request, keep, reset_history)
        return console.replan_report(input_path, replan_workbook(job), as_json)

    run_guarded(body, debug, as_json)


@cli.command(name="history")
@OUT_DIR
@click.option("--limit", type=click.IntRange(min=1), help="Show only the newest N runs.")
@JSON
@DEBUG
def history_command(out_dir: Path, limit: int | None, as_json: bool, debug: bool) -> None:
    """List the nightly runs recorded in DIR, newest first."""

    def body() -> console.Report:
        from optimizer.runs import history

        return console.history_report(out_dir, history.runs(out_dir, limit), as_json)

    run_guarded(body, debug, as_json)


def main() -> None:
    """Console-script entry point (`exits.entry`)."""
    entry(cli)
