"""The `reopt` command line (click): validate | solve | whatif | robust | replan | history.

Each command parses its options, calls its flow in `commands.py` and hands the outcome
to `console.py`, which writes every text and JSON; `exits.run_guarded` prints it and
turns every outcome into an exit code (SPEC §3). The flows are imported inside each
command's guarded body, so even a missing dependency (reopt refuses to run without
defusedxml) ends in a message, not a traceback, and `--help` loads no solver.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from optimizer import console
from optimizer.exits import entry, run_guarded
from optimizer.solver.options import METHODS, SolveOptions

DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks for every error.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
INPUT = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
OUTPUT = click.option("-o", "--output", type=click.Path(path_type=Path), help="Workbook to write.")
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
OUT_DIR = click.option(
    "--out-dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the nightly plans, the lock and the run history.",
)
MANY_SCENARIOS = (WORKERS, SCHEDULER, TIME_LIMIT, MIP_GAP)
"""Where and how a command that solves many scenarios runs them."""
STRESS = (
    ("approval", "COUNTRY:ITEMS=P[@PERIOD]", "e.g. China:*=0.5."),
    ("delay", "COUNTRY:ITEMS=DAYS[@PERIOD]", "e.g. China:Tb=90."),
    ("capacity", "COUNTRY:ITEMS=F[@PERIOD]", "e.g. Burma:*=0."),
    ("tariff", "COUNTRY=+RATE[@PERIOD]", "Added duty, e.g. China=+0.25. Any stress flag may "
     "end with @PERIOD: the measure starts in that period (earlier periods keep the "
     "workbook's rules)."),
    ("ban", "COUNTRY:ITEMS[@PERIOD]", "Export ban, e.g. China:Dy,Tb; from a period on: "
     "China:Dy,Tb@2028-01."),
)  # fmt: skip
"""The stress flags, in the order they are applied: a ban comes last so no other flag
undoes it."""


def _scenarios(help_text: str) -> Callable:
    return click.option("--scenario", "scenarios", multiple=True, help=help_text)


def _samples(help_text: str) -> Callable:
    return click.option("--samples", type=click.IntRange(min=1), help=help_text)


def _solve_options(given: dict[str, Any], **fixed: Any) -> SolveOptions:
    """The HiGHS options a command was given."""
    return SolveOptions(time_limit=given["time_limit"], mip_gap=given.get("mip_gap"), **fixed)


def _request(kind: type, given: dict[str, Any], **fixed: Any) -> Any:
    """A request dataclass from the options named like its fields (blank ones: its defaults)."""
    names = {field.name for field in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in given.items() if k in names and v is not None}, **fixed)


def _stages(as_json: bool) -> console.StageLog | None:
    """Stage lines on stderr for people; none with `--json`."""
    return None if as_json else console.StageLog(sys.stderr)


def _guarded(command: Callable[..., console.Report]) -> Callable[..., None]:
    """Run a command under `run_guarded`: its Report printed, every outcome an exit code."""

    @functools.wraps(command)
    def run(*args: Any, as_json: bool, debug: bool, **kwargs: Any) -> None:
        run_guarded(lambda: command(*args, as_json=as_json, **kwargs), debug, as_json)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reopt")
def cli() -> None:
    """reopt: plan rare-earth purchases from an Excel workbook (see README.md)."""


def _command(name: str, *decorators: Callable) -> Callable:
    """A `reopt NAME` command with these options (in `--help` order), `--json` and
    `--debug`, whose body returns its Report and runs under `run_guarded`."""

    def apply(body: Callable[..., console.Report]) -> click.Command:
        command = _guarded(body)
        for decorator in reversed((*decorators, JSON, DEBUG)):
            command = decorator(command)
        return cli.command(name=name)(command)

    return apply


@_command("validate", INPUT)
def validate(input_path: Path, as_json: bool) -> console.Report:
    """Check INPUT and list every problem, without solving."""
    from optimizer.commands import validate_workbook

    inputs, sizes = validate_workbook(input_path)
    return console.validate_report(input_path, inputs, sizes, as_json)


@_command(
    "solve",
    INPUT,
    click.option("-o", "--output", type=click.Path(path_type=Path), help="Plan workbook to write."),
    click.option("--scenario", help="Scenario to solve (default: Settings scenario, else base)."),
    TIME_LIMIT,
    MIP_GAP,
    click.option("--threads", type=click.IntRange(min=1), help="HiGHS threads."),
    click.option("--method", type=click.Choice(METHODS), default="choose", show_default=True),
)
def solve_command(input_path: Path, as_json: bool, **given: Any) -> console.Report:
    """Solve one scenario of INPUT and write the plan workbook."""
    from optimizer.commands import solve_workbook

    options = _solve_options(given, threads=given["threads"], method=given["method"])
    run, target = solve_workbook(
        input_path, given["scenario"], given["output"], options, _stages(as_json)
    )
    return console.solve_report(input_path, run, target, as_json)


@_command(
    "whatif",
    INPUT,
    _scenarios("Scenario to compare (repeat; default all)."),
    OUTPUT,
    click.option(
        "--base-scenario", default="base", show_default=True, help="Scenario the flags start from."
    ),
    *(click.option(f"--{flag}", multiple=True, metavar=meta, help=text)
      for flag, meta, text in STRESS),
    click.option("--demand", type=click.FloatRange(min=0), default=1.0,
                 help="Demand factor, e.g. 1.2."),
    _samples("Monte Carlo licence sweep of N samples."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sweep."),
    *MANY_SCENARIOS,
)  # fmt: skip
def whatif_command(input_path: Path, as_json: bool, **given: Any) -> console.Report:
    """Compare scenarios of INPUT (or sweep licence outcomes) in one workbook."""
    from optimizer.commands import whatif_workbook
    from optimizer.domain.stress import Stress
    from optimizer.runs.parallel import Progress
    from optimizer.runs.whatif import Request

    stresses = tuple(Stress(flag, text) for flag, _, _ in STRESS for text in given[flag])
    request = _request(Request, given, stresses=stresses, options=_solve_options(given, threads=1))
    progress = None if as_json else Progress("whatif", sys.stderr)
    outcome = whatif_workbook(input_path, request, given["output"], progress)
    return console.whatif_report(input_path, outcome, request.samples, as_json)


@_command(
    "robust",
    INPUT,
    _scenarios("Scenario of the set (repeat; SPEC §6 default)."),
    click.option("--commit", type=int, help="K: periods whose orders are committed now."),
    click.option("--reference", help="Scenario whose own plan eev commits (default: Settings)."),
    click.option("--cvar-alpha", "alpha", type=float, default=0.9, show_default=True,
                 help="α of CVaR."),
    click.option("--cvar-weight", "beta", type=float, default=0.0, show_default=True,
                 help="β of CVaR."),
    _samples("N equally likely licence draws as the set."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws."),
    MIP_GAP,
    OUTPUT,
    TIME_LIMIT,
)  # fmt: skip
def robust_command(input_path: Path, as_json: bool, **given: Any) -> console.Report:
    """One plan to commit now that holds up across the scenarios of INPUT (SPEC §6)."""
    from optimizer.commands import robust_workbook
    from optimizer.runs.robust import RobustRequest

    request = _request(RobustRequest, given, options=SolveOptions(time_limit=given["time_limit"]))
    robust, target = robust_workbook(input_path, request, given["output"], _stages(as_json))
    return console.robust_report(input_path, robust, target, as_json)


@_command(
    "replan",
    INPUT,
    OUT_DIR,
    _scenarios("Scenario to solve (repeat; default all)."),
    click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N plan folders."),
    click.option(
        "--reset-history",
        is_flag=True,
        help="Move an unreadable history.sqlite aside (renamed with the time) and start anew.",
    ),
    click.option(
        "--stability-tolerance",
        type=click.FloatRange(min=0),
        help="Pay at most this share above the optimum to keep the last plan.",
    ),
    click.option("--no-stability", is_flag=True, help="Solve base as `solve` does."),
    *MANY_SCENARIOS,
)
def replan_command(input_path: Path, as_json: bool, **given: Any) -> console.Report:
    """The nightly job: solve INPUT into a new timestamped folder of DIR, with history."""
    from optimizer.commands import replan_workbook
    from optimizer.runs.replan import ReplanJob
    from optimizer.runs.whatif import Request

    request = _request(Request, given, options=_solve_options(given, threads=1))
    job = ReplanJob(
        input_path, given["out_dir"], request, given["keep"], given["reset_history"],
        not given["no_stability"], given["stability_tolerance"],
    )  # fmt: skip
    return console.replan_report(input_path, replan_workbook(job), as_json)


@_command(
    "history",
    OUT_DIR,
    click.option("--limit", type=click.IntRange(min=1), help="Show only the newest N runs."),
)
def history_command(out_dir: Path, limit: int | None, as_json: bool) -> console.Report:
    """List the nightly runs recorded in DIR, newest first."""
    from optimizer.runs import history

    return console.history_report(out_dir, history.runs(out_dir, limit), as_json)


def main() -> None:
    """Console-script entry point (`exits.entry`)."""
    entry(cli)
