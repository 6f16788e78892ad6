"""Benchmark: `reopt robust --samples N`, end to end, beside HiGHS's solve of the robust plan.

    python -m benchmarks.robust_samples [--samples 200] [--seed 1] [--runs 3] [--integer]
    python -m benchmarks.robust_samples --samples 0 --integer   # reopt robust inputs/example.xlsx

Each run is `reopt robust … --samples N --seed S --json` in a fresh process through the
installed console script, on the example as an LP (its onboarding costs and minimum lots
removed, as when issue 15 set the target); `--integer` uses the example as it is (one
branch and bound over every distinct draw: minutes, see docs/robust.md). `--samples 0`
solves the workbook's own scenarios instead (SPEC §6), as a plain `reopt robust` does.
Printed: the median wall time, HiGHS's own solve of the extensive form (`robust solve`
of the `--json` timings) and their ratio, the median of every stage and the largest
peak memory of the runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.integer_terms import EXAMPLE, lp_copy


def run_once(reopt: str, book: Path, samples: int, seed: int, folder: Path) -> tuple[float, dict]:
    """Wall seconds and the `--json` record of one run."""
    command = [reopt, "robust", str(book), "--json", "-o", str(folder / "robust.xlsx")]
    if samples:
        command += ["--samples", str(samples), "--seed", str(seed)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--integer", action="store_true", help="the example as it is")
    args = parser.parse_args()
    reopt = shutil.which("reopt", path=str(Path(sys.executable).parent)) or "reopt"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        book = EXAMPLE if args.integer else lp_copy(EXAMPLE, folder / "example-lp.xlsx")
        runs = [run_once(reopt, book, args.samples, args.seed, folder) for _ in range(args.runs)]
    walls = [wall for wall, _ in runs]
    highs = statistics.median(record["timings"]["robust solve"] for _, record in runs)
    sizes = runs[0][1]["sizes"]
    kind = "integer example" if args.integer else "example as an LP"
    drawn = f" --samples {args.samples} --seed {args.seed}" if args.samples else ""
    print(
        f"reopt robust{drawn}, {kind}: "
        f"{sizes['distinct_scenarios']} distinct scenarios, {sizes['variables']:,} variables"
    )
    shown = " ".join(f"{wall:.2f}" for wall in walls)
    median = statistics.median(walls)
    print(f"  total {median:6.2f} s  (runs {shown})")
    ratio = median / highs
    print(f"  HiGHS solve of the robust plan {highs:6.2f} s  →  total / HiGHS {ratio:.2f}×")
    stages = runs[0][1]["timings"]
    medians = {s: statistics.median(r["timings"][s] for _, r in runs) for s in stages}
    print("  stages (median s): " + "  ".join(f"{s} {v:.2f}" for s, v in medians.items()))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak memory {peak:,.0f} MiB (the largest run's)")


if __name__ == "__main__":
    main()
