"""Benchmark: licence-sweep samples per second on one core, beside HiGHS alone.

    python -m benchmarks.sweep_rate [--samples 200] [--runs 3] [--cold]

The figure is `reopt whatif --samples N --workers 1` without reading and writing: the
sweep of the example workbook's base scenario in this process, on a fresh kept model per
run (median of the runs). Beside it, HiGHS alone: the same samples' changes applied to
the kept model and re-solved, with no derive, extract or check (samples per second), and
a cold HiGHS solve of one sample (pass the model, solve). Then where the time of a
sample that is not a repeat goes, stage by stage. `--cold` also times the cold pipeline.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from optimizer.domain.draws import sample_scenarios
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.runs import warm
from optimizer.runs.whatif import Request, sweep
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
OPTIONS = SolveOptions(threads=1)


def sweep_seconds(inputs: object, samples: int, seed: int) -> float:
    """One sweep on a fresh kept model."""
    warm.forget_kept_model()
    started = time.perf_counter()
    sweep(inputs, Request(samples=samples, seed=seed, workers=1))  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="also time the cold pipeline")
    args = parser.parse_args()
    inputs = load_inputs(EXAMPLE)
    base = resolve_scenario(inputs, "base")
    runs = [sweep_seconds(inputs, args.samples, args.seed) for _ in range(args.runs)]
    median = statistics.median(runs)
    print(f"licence sweep, {args.samples} samples of {EXAMPLE.name}, one core")
    print(f"  reopt sweep        {args.samples / median:8.1f} samples/s  (median of {runs})")

    scenarios, _ = sample_scenarios(base, args.samples, args.seed)
    warm.forget_kept_model()
    stages: dict[str, list[float]] = {}
    seen: set[int] = set()
    for scenario in scenarios:
        timings = warm.solve_variant(inputs, base, scenario, OPTIONS).timings
        if id(timings) not in seen:  # a repeat shares its first solve's timings
            seen.add(id(timings))
            for stage, seconds in timings.items():
                stages.setdefault(stage, []).append(seconds)
    kept = warm.kept_model()
    solves = np.asarray(stages.get("solve", [np.nan]))
    print(
        f"  HiGHS alone, warm  {1 / np.median(solves):8.1f} samples/s  "
        f"(median re-solve {np.median(solves) * 1000:.2f} ms)"
    )
    cold = [solve_scenario(inputs, s, OPTIONS, analyses=False) for s in scenarios[:10]]
    cold_solve = statistics.median(run.timings["solve"] for run in cold)
    print(
        f"  HiGHS alone, cold  {1 / cold_solve:8.1f} samples/s  "
        f"(median solve {cold_solve * 1000:.2f} ms)"
    )
    distinct = len(kept.solved)
    print(f"  {distinct} distinct samples of {args.samples}; per distinct sample (median ms):")
    print("   " + "  ".join(f"{stage} {np.median(v) * 1000:.2f}" for stage, v in stages.items()))
    if args.cold:
        started = time.perf_counter()
        for scenario in scenarios:
            solve_scenario(inputs, scenario, OPTIONS, analyses=False)
        seconds = time.perf_counter() - started
        print(f"  cold pipeline      {args.samples / seconds:8.1f} samples/s")


if __name__ == "__main__":
    main()
