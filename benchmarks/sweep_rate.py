"""Benchmark: licence-sweep samples per second on one core, beside HiGHS alone.

    python -m benchmarks.sweep_rate [--samples 200] [--runs 3] [--cold] [--integer]

The figure is `reopt whatif --samples N --workers 1` without reading and writing: the
sweep of the base scenario in this process, on a fresh kept model per run (median of the
runs). The workbook is the example as an LP (its onboarding costs and minimum lots
removed, as when issue 15 set the target); `--integer` sweeps the example as it is (each
sample a branch and bound on the kept model).

Beside it, HiGHS alone: the seconds HiGHS spent in the sweep (a repeated draw is solved
once, a draw implied by an earlier one not at all: `runs.samples`), as samples per
second. For the LP, also each distinct draw re-solved warm on its own, and the rest of a
distinct sample's time (mapping the draw, reading the solution, measures, residual
check).
`--cold` also times the cold pipeline (derive, build, solve, plan tables, table check).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.integer_terms import EXAMPLE, lp_copy
from optimizer.domain.draws import sample_scenarios
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.runs import samples as worker
from optimizer.runs.whatif import Request, sweep
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

OPTIONS = SolveOptions(threads=1)


def sweep_seconds(inputs: object, samples: int, seed: int) -> tuple[float, float, int]:
    """One sweep on a fresh kept model: its wall time, the seconds HiGHS spent in it
    (each distinct draw counted once; a draw implied by an earlier one costs none) and
    how many draws HiGHS solved."""
    worker.forget_sweep_worker()
    started = time.perf_counter()
    found = sweep(inputs, Request(samples=samples, seed=seed, workers=1))  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    base = resolve_scenario(inputs, "base")  # type: ignore[arg-type]
    scenarios, _ = sample_scenarios(base, samples, seed, inputs.periods)  # type: ignore[attr-defined]
    first: dict[object, float] = {}
    for scenario, result in zip(scenarios, found.results, strict=True):
        if result.summary is not None:
            first.setdefault(scenario.draw, result.summary.solve_seconds)
    return wall, sum(first.values()), sum(seconds > 0 for seconds in first.values())


def distinct_samples(inputs: object, samples: int, seed: int) -> tuple[list[float], list[float]]:
    """Per distinct draw: the sample's wall time and HiGHS's own time (seconds)."""
    base = resolve_scenario(inputs, "base")  # type: ignore[arg-type]
    scenarios, _ = sample_scenarios(base, samples, seed)
    worker.forget_sweep_worker()
    worker.solve_sample(inputs, base, 0, scenarios[0], OPTIONS)  # type: ignore[arg-type]
    worker.sweep_worker().solved.clear()  # the envelope is built; time the samples alone
    walls, solves = [], []
    for index, scenario in enumerate(scenarios):
        if scenario.draw in worker.sweep_worker().solved:
            continue
        started = time.perf_counter()
        result = worker.solve_sample(inputs, base, index, scenario, OPTIONS)  # type: ignore[arg-type]
        walls.append(time.perf_counter() - started)
        solves.append(result.summary.solve_seconds)  # type: ignore[union-attr]
    return walls, solves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="also time the cold pipeline")
    parser.add_argument("--integer", action="store_true", help="sweep the example as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        book = EXAMPLE if args.integer else lp_copy(EXAMPLE, Path(folder) / "example-lp.xlsx")
        inputs = load_inputs(book)
    kind = "integer example" if args.integer else "example as an LP"
    runs = [sweep_seconds(inputs, args.samples, args.seed) for _ in range(args.runs)]
    median = statistics.median(wall for wall, _, _ in runs)
    highs = statistics.median(seconds for _, seconds, _ in runs)
    print(f"licence sweep, {args.samples} samples of the {kind}, one worker")
    shown = ", ".join(f"{wall:.2f} s" for wall, _, _ in runs)
    print(f"  reopt sweep        {args.samples / median:8.1f} samples/s  (runs: {shown})")
    print(
        f"  HiGHS alone        {args.samples / highs:8.1f} samples/s  (its solves in the "
        f"sweep: {runs[0][2]} draws in {highs:.2f} s, median of the runs)"
    )
    if args.integer:
        return
    walls, solves = distinct_samples(inputs, args.samples, args.seed)
    highs = sum(solves)
    print(
        f"  HiGHS alone, warm  {args.samples / highs:8.1f} samples/s  "
        f"({len(solves)} distinct draws re-solved in {highs:.3f} s; "
        f"median re-solve {np.median(solves) * 1000:.2f} ms)"
    )
    rest = np.asarray(walls) - np.asarray(solves)
    print(f"  per distinct draw besides HiGHS: median {np.median(rest) * 1000:.2f} ms")
    if args.cold:
        base = resolve_scenario(inputs, "base")
        scenarios, _ = sample_scenarios(base, args.samples, args.seed)
        started = time.perf_counter()
        for scenario in scenarios:
            solve_scenario(inputs, scenario, OPTIONS, analyses=False)
        seconds = time.perf_counter() - started
        print(f"  cold pipeline      {args.samples / seconds:8.1f} samples/s")


if __name__ == "__main__":
    main()
