"""How a command ends: its exit code (SPEC §3), its output, signals and the last line of defence.

A command body returns the `Report` it prints (console.py writes every text and JSON);
`run_guarded` prints it and turns every other outcome into an exit code: a user's
mistake prints one clear block of text and exits 2, no plan exits 3, a locked folder 4,
Ctrl-C or SIGTERM 130, and a bug 1 with a hint to rerun with `--debug`, which shows the
traceback. A write that fails for lack of space or permission is an output error naming
the path (exit 2), wherever it happens. With `--json` every outcome, usage errors
included, prints exactly one JSON object on standard output.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator

import click

from optimizer.console import Report, failure_json, usage_json
from optimizer.json_text import json_text
from optimizer.problems import ExitCode, ReoptError
from optimizer.report.targets import WRITE_REFUSED, os_error_in, write_failure

REDELIVERY_SECONDS = 0.05
"""Delay before an interrupt caught in a finaliser is raised again in the main thread."""


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


def _failed(error: BaseException, code: int, lines: list[str], debug: bool, as_json: bool) -> int:
    """Print why a command failed (stderr, and its JSON record on stdout); its exit code."""
    if debug:
        traceback.print_exc()
    click.echo("\n".join(lines), err=True)
    if as_json:
        click.echo(json_text(failure_json(error, code)))
    return code


def run_guarded(body: Callable[[], Report], debug: bool, as_json: bool) -> None:
    """Run a command body, print its report and exit with the code of its outcome."""
    try:
        with _signals_unwind():
            report = body()
        if report.err:
            click.echo(report.err, err=True)
        click.echo(report.out)
        code = int(ExitCode.OK)
    except ReoptError as error:
        code = _failed(error, int(error.exit_code), error.lines(), debug, as_json)
    except KeyboardInterrupt as error:
        how = "SIGTERM" if isinstance(error, Terminated) else "Ctrl-C"
        message = f"reopt: interrupted ({how}); no plan was written"
        code = _failed(error, int(ExitCode.INTERRUPTED), [message], False, as_json)
    except Exception as error:  # the last line of defence for bugs
        cause = os_error_in(error)
        if cause is not None and cause.errno in WRITE_REFUSED:  # a full disk is not a bug
            failure = write_failure(cause)
            code = _failed(failure, int(failure.exit_code), failure.lines(), debug, as_json)
        else:
            message = (
                f"reopt: internal error ({type(error).__name__}: {error}). Nothing was written. "
                "Please report it; rerun with --debug to see the traceback."
            )
            code = _failed(error, int(ExitCode.INTERNAL), [message], debug, as_json)
    sys.exit(code)


def entry(group: click.Group) -> None:
    """The console script: parse and run a command; whatever happens, one exit code.

    Click's own handling would print `Aborted!` and exit 1 (the code of a bug) for a
    Ctrl-C while it parses the command line, and prints no JSON for a usage error, so
    its exceptions are handled here.
    """
    sys.unraisablehook = _interrupts_are_not_lost
    as_json = "--json" in sys.argv[1:]
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
        code = group.main(prog_name="reopt", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("reopt: interrupted; no plan was written", err=True)
        code = int(ExitCode.INTERRUPTED)
    except click.ClickException as error:
        error.show()
        code = error.exit_code
        if as_json:
            click.echo(json_text(usage_json(error.format_message(), code)))
    finally:
        _ignore_signals_from_now_on()
    sys.exit(code if isinstance(code, int) else 0)


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
