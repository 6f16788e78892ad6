"""Benchmark: a licence sweep of the example workbook on each backend.

    python -m benchmarks.whatif_sweep [--samples 200] [--workers 2]

Solves the same sampled LPs (a) in one loop in this process, (b) on a local spawn
process pool, (c) on a Dask LocalCluster with the same number of single-threaded
workers, and prints samples per second and each backend's overhead against the loop.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from optimizer.domain.draws import sample_scenarios
from optimizer.domain.scenarios import resolve_scenario
from optimizer.runs.parallel import Task, run_tasks
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def timed(label: str, run) -> float:
    started = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - started
    solved = sum(result.solved for result in results)
    print(
        f"{label:<34} {seconds:8.2f} s  {len(results) / seconds:7.2f} samples/s  ({solved} solved)"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    inputs = load_inputs(EXAMPLE)
    scenarios, _ = sample_scenarios(resolve_scenario(inputs, "base"), args.samples, seed=1)
    tasks = [Task(i, scenario, detail=False) for i, scenario in enumerate(scenarios)]
    options = SolveOptions(threads=1)
    print(f"{args.samples} samples of {EXAMPLE.name}, {args.workers} workers")
    loop = timed("one loop in this process", lambda: run_tasks(inputs, tasks, options, workers=1))
    pool = timed(
        f"process pool ({args.workers} spawn workers)",
        lambda: run_tasks(inputs, tasks, options, workers=args.workers),
    )
    from distributed import LocalCluster

    started = time.perf_counter()
    with LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup = time.perf_counter() - started
        dask = timed(
            f"Dask LocalCluster ({args.workers} workers)",
            lambda: run_tasks(inputs, tasks, options, scheduler=cluster.scheduler_address),
        )
    print(f"LocalCluster start-up (not in the figure above): {startup:.2f} s")
    print(f"speed-up over the loop: pool {loop / pool:.2f}x, Dask {loop / dask:.2f}x")
    per_task = (dask * args.workers - loop) / args.samples * 1000
    print(f"Dask overhead per task against ideal {args.workers}-way split: {per_task:.1f} ms")


if __name__ == "__main__":
    main()
