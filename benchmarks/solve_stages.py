"""Benchmark: `reopt solve` stage by stage on synthetic workbooks of sizes S, M, L, XL.

    python -m benchmarks.solve_stages S M L [--threads 1] [--method simplex]

Each size runs in a fresh Python process (so peak memory is that size's own) through
`pipeline.solve_scenario`, exactly as `reopt solve`, timing every stage: read
(calamine + hazard scan), validate, derive (scenario data), build (Pyomo), hand-off
(Pyomo → HiGHS arrays), solve (HiGHS alone), ranging (HiGHS's row ranging for the
review's `valid_to`), savings (the review's re-solves, and an integer model's
fixed-binary LP), extract, check, write (plan workbook). It prints the
table and the ratio of the total to HiGHS's own solve time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = [
    "read", "validate", "derive", "build", "handoff", "solve", "ranging", "savings", "extract",
    "check", "write",
]  # fmt: skip


def measure(size: str, threads: int | None, method: str) -> dict[str, object]:
    """Run one size in this process and return its timings (call in a fresh process)."""
    from benchmarks.synthetic import write
    from optimizer.domain.scenarios import resolve_scenario
    from optimizer.pipeline import solve_scenario
    from optimizer.problems import Problems
    from optimizer.report.plan_book import write_plan_workbook
    from optimizer.solver.options import SolveOptions
    from optimizer.workbook.schema import DOCUMENTATION_SHEETS, SHEETS
    from optimizer.workbook.sheets import read_workbook
    from optimizer.workbook.validate import assemble_inputs

    folder = Path(tempfile.mkdtemp())
    source = write(size, folder / f"{size}.xlsx")
    times: dict[str, float] = {}

    def stage(name: str, work):
        started = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - started
        return result

    problems = Problems(str(source))
    schema = {key: sheet.column_names for key, sheet in SHEETS.items()}
    raw = stage("read", lambda: read_workbook(source, schema, DOCUMENTATION_SHEETS, problems))
    inputs = stage("validate", lambda: assemble_inputs(source, raw, problems))
    options = SolveOptions(threads=threads, method=method)
    run = solve_scenario(inputs, resolve_scenario(inputs, "base"), options)  # as `reopt solve`
    ran = run.timings
    kept = ("derive", "build", "solve", "ranging", "extract")
    times |= {stage: ran.get(stage, 0.0) for stage in kept}
    times |= {"handoff": ran["hand-off"], "check": ran["check"]}
    times["savings"] = ran.get("marginals", 0.0) + ran.get("savings", 0.0)
    instance, tables = run.instance, run.tables
    stage("write", lambda: write_plan_workbook(tables, folder / "plan.xlsx"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size,
        "deliveries": instance.data.deliveries,
        "plan_rows": len(tables.plan),
        "objective": tables.objective,
        "times": times,
        "peak_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", default=["S", "M", "L"])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--method", default="choose")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.threads, args.method)))
        return
    header = f"{'size':<4} {'deliveries':>10} " + " ".join(f"{s:>8}" for s in STAGES)
    print(header + f" {'total':>8} {'total/solve':>11} {'peak MiB':>9}")
    for size in args.sizes:
        extra = (["--threads", str(args.threads)] if args.threads else []) + [
            "--method",
            args.method,
        ]
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.solve_stages", "--one", size, *extra],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        times = result["times"]
        total = sum(times.values())
        cells = " ".join(f"{times[s]:8.2f}" for s in STAGES)
        print(
            f"{size:<4} {result['deliveries']:>10,} {cells} {total:8.2f} "
            f"{total / times['solve']:11.2f} {result['peak_mib']:9.0f}"
        )
        print(f"     objective {result['objective']!r}, {result['plan_rows']:,} plan rows")


if __name__ == "__main__":
    main()
