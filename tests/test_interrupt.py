"""A signal stops a long HiGHS solve at once (a scheduler's SIGTERM, Ctrl-C)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    from optimizer.solver.highs import solve_compiled
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
        solve_compiled(model, SolveOptions(threads=1, mip_gap=0.0))
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
