"""A signal stops a long HiGHS solve at once (a scheduler's SIGTERM, Ctrl-C)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from optimizer.solver.highs import _interruptible

SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    from optimizer.solver.kept import KeptModel
    from optimizer.solver.options import SolveOptions
    from optimizer.solver.standard_form import CscMatrix, StandardForm

    class Stopped(Exception):
        pass

    def stop(signum, frame):
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, stop)
    # a market split problem (Cornuejols and Dawande): binaries, equality knapsacks;
    # branch and bound needs far longer than this test waits
    rng = np.random.default_rng(1)
    rows, cols = 5, 45
    a = rng.integers(0, 100, (rows, cols)).astype(float)
    half = np.floor(a.sum(axis=1) / 2)
    values = a.ravel().tolist()
    columns = np.tile(np.arange(cols), rows).tolist()
    starts = list(range(0, rows * cols + 1, cols))
    model = StandardForm(
        cost=np.zeros(cols), offset=0.0,
        matrix=CscMatrix.from_rows(values, columns, starts, (rows, cols)),
        row_lower=half, row_upper=half, col_lower=np.zeros(cols), col_upper=np.ones(cols),
        integer=np.ones(cols, dtype=bool),
    )
    print("solving", flush=True)
    started = time.perf_counter()
    try:
        KeptModel(model, SolveOptions(threads=1, mip_gap=0.0)).solve()
    except (Stopped, KeyboardInterrupt) as stopped:
        print(f"stopped after {time.perf_counter() - started:.2f} s: {stopped!r}", flush=True)
        sys.exit(7)
    print("solved", flush=True)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_long_solve_at_once(signum):
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "solving"
    time.sleep(1.5)
    sent = time.perf_counter()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    waited = time.perf_counter() - sent
    assert process.returncode == 7, stdout + stderr
    assert "stopped after" in stdout
    assert waited < 3.0, f"HiGHS kept the signal waiting {waited:.1f} s"


class SlowToStop:
    """Stands in for HiGHS: solves until cancelled, then takes a moment to return (and,
    with `signal_again`, sends the main thread a second signal while it stops)."""

    def __init__(self, fails: bool = False, signal_again: bool = False) -> None:
        self.cancelled = threading.Event()
        self.fails = fails
        self.signal_again = signal_again
        self.returned = False
        self.HandleUserInterrupt = False

    def run(self) -> str:
        self.cancelled.wait(10)
        time.sleep(0.1)
        if self.signal_again:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
        time.sleep(0.2)
        self.returned = True
        if self.fails:
            raise RuntimeError("HiGHS failed")
        return "status"

    def cancelSolve(self) -> None:
        self.cancelled.set()


class Stopped(Exception):
    pass


def _signalled(highs: SlowToStop) -> None:
    """`_interruptible(highs)` with SIGUSR1 sent to the main thread 0.2 s in."""

    def stop(signum, frame):
        raise Stopped

    previous = signal.signal(signal.SIGUSR1, stop)
    timer = threading.Timer(
        0.2, signal.pthread_kill, (threading.main_thread().ident, signal.SIGUSR1)
    )
    try:
        timer.start()
        _interruptible(highs)
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)


def test_a_signal_is_raised_only_once_highs_has_returned():
    highs = SlowToStop()
    with pytest.raises(Stopped):
        _signalled(highs)
    assert highs.returned
    assert not highs.HandleUserInterrupt


def test_a_second_signal_while_highs_stops_does_not_leave_it_running():
    highs = SlowToStop(signal_again=True)
    with pytest.raises(Stopped):
        _signalled(highs)
    assert highs.returned


def test_without_a_signal_the_solve_returns_its_status_or_raises_its_error():
    highs = SlowToStop()
    highs.cancelSolve()
    assert _interruptible(highs) == "status"
    failing = SlowToStop(fails=True)
    failing.cancelSolve()
    with pytest.raises(RuntimeError, match="HiGHS failed"):
        _interruptible(failing)
