"""Benchmark: wall time of `reopt --help`, `reopt validate` and `reopt solve` as a user sees it.

    python -m benchmarks.commands [help validate solve] [--runs 5]

Each command runs in a fresh process through the installed `reopt` console script
(median of the runs), after one untimed run, with Python's bytecode cache on as on a
user's machine (pip compiles it at install; this machine's environment sets
PYTHONDONTWRITEBYTECODE, which would recompile every module of reopt at every start,
about 0.1 s). Beside it, the reference: for `solve`, HiGHS's own solve time
(`solve_seconds` of its `--json` record); for `--help` and `validate`, which never start
HiGHS, a bare `python -c pass` (the interpreter's own start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"
CACHED = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The environment of every timed run: bytecode cached, as after `pip install`."""


def wall(command: list[str]) -> tuple[float, str]:
    """Seconds a command takes, and its standard output."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=CACHED)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("commands", nargs="*", default=["help", "validate", "solve"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reopt = shutil.which("reopt", path=str(Path(sys.executable).parent)) or "reopt"
    folder = Path(tempfile.mkdtemp())
    lines = {
        "help": [reopt, "--help"],
        "validate": [reopt, "validate", str(EXAMPLE)],
        "solve": [reopt, "solve", str(EXAMPLE), "-o", str(folder / "plan.xlsx"), "--json"],
    }
    bare = statistics.median(wall([sys.executable, "-c", "pass"])[0] for _ in range(args.runs))
    for name in args.commands:
        wall(lines[name])  # writes the bytecode cache
        timings, outputs = zip(*(wall(lines[name]) for _ in range(args.runs)), strict=True)
        median = statistics.median(timings)
        shown = " ".join(f"{t:.2f}" for t in timings)
        label = "reopt " + " ".join(Path(part).name for part in lines[name][1:3])
        if name == "solve":
            highs = statistics.median(json.loads(out)["solve_seconds"] for out in outputs)
            reference = f"HiGHS alone {highs:.3f} s"
        else:
            reference = f"python -c pass {bare:.3f} s"
        print(f"{label:<32} {median:6.2f} s  (runs {shown})  reference: {reference}")


if __name__ == "__main__":
    main()
