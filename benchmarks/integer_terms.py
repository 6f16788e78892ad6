"""Benchmark of SPEC §7: integer sourcing terms against the LP they extend.

    python -m benchmarks.integer_terms example       # reopt solve, LP vs MIP, end to end
    python -m benchmarks.integer_terms M L --time-limit 600

`example`: `reopt solve` on inputs/example.xlsx as shipped (with onboarding costs and
minimum lots) and on a copy without those two columns (the LP), each in a fresh process,
best of three wall times. M, L: the synthetic workbooks of `benchmarks/synthetic.py`
with every tenth offer given a fixed cost (half a period's full volume at its price)
and a minimum lot (a quarter of its capacity), solved like `reopt solve` in a fresh
process: total wall time, HiGHS's time, the gap reached and peak memory.
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
EXAMPLE = HERE.parent / "inputs" / "example.xlsx"
REOPT = "from optimizer.cli import main; main()"
"""`reopt` in a fresh interpreter of this environment."""


def integer_sheets(size: str) -> dict[str, list[list[object]]]:
    """The synthetic workbook of `size` with every tenth offer carrying §7 terms."""
    from benchmarks.synthetic import SIZES, sheets

    book = sheets(SIZES[size])
    header, *offers = book["Suppliers"]
    capacity, price = header.index("capacity"), header.index("unit_cost")
    rows = [
        [*row, *((0.5 * row[capacity] * row[price], 0.25 * row[capacity]) if i % 10 == 0
                 else (None, None))]
        for i, row in enumerate(offers)
    ]  # fmt: skip
    book["Suppliers"] = [[*header, "fixed_cost", "min_order"], *rows]
    return book


def lp_copy(source: Path, target: Path) -> Path:
    """`source` with the Suppliers columns fixed_cost and min_order removed."""
    import openpyxl

    book = openpyxl.load_workbook(source)
    sheet = book["Suppliers"]
    header = [cell.value for cell in sheet[1]]
    for name in ("min_order", "fixed_cost"):
        sheet.delete_cols(header.index(name) + 1)
        header.remove(name)
    book.save(target)
    return target


def _reopt(path: Path, *options: str) -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", REOPT, "solve", str(path), "-o",
             str(Path(folder) / "plan.xlsx"), "--json", *options],
            capture_output=True, text=True, check=True, cwd=HERE.parent,
        )  # fmt: skip
        return time.perf_counter() - started, json.loads(done.stdout)


def example(repeats: int = 3) -> None:
    """End-to-end `reopt solve` of the example, LP against MIP."""
    with tempfile.TemporaryDirectory() as folder:
        lp = lp_copy(EXAMPLE, Path(folder) / "example-lp.xlsx")
        print(f"{'model':<6} {'best s':>7} {'runs s':>22} {'objective':>18} {'fixed':>12} gap")
        best = {}
        for name, path in (("LP", lp), ("MIP", EXAMPLE)):
            runs = [_reopt(path) for _ in range(repeats)]
            best[name] = min(seconds for seconds, _ in runs)
            record = runs[0][1]
            times = ", ".join(f"{seconds:.2f}" for seconds, _ in runs)
            print(
                f"{name:<6} {best[name]:7.2f} {times:>22} {record['objective']:18,.2f} "
                f"{record['fixed']:12,.0f} {record['mip_gap']:.2e}"
            )
        print(f"MIP / LP end to end: {best['MIP'] / best['LP']:.2f}")


def measure(size: str, time_limit: float | None) -> dict[str, object]:
    """Solve the integer synthetic workbook of `size` in this process (call it fresh)."""
    from optimizer.domain.scenarios import resolve_scenario
    from optimizer.pipeline import solve_scenario
    from optimizer.problems import NoPlanError
    from optimizer.solver.options import SolveOptions
    from optimizer.workbook.validate import load_inputs
    from tests.workbooks import write_book

    folder = Path(tempfile.mkdtemp())
    source = write_book(folder / f"{size}.xlsx", integer_sheets(size), constant_memory=True)
    started = time.perf_counter()
    inputs = load_inputs(source)
    try:
        run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(time_limit))
    except NoPlanError as failure:
        return {"size": size, "status": str(failure), "total": time.perf_counter() - started}
    summary = run.tables.summary
    return {
        "size": size,
        "deliveries": run.instance.data.deliveries,
        "binaries": len(run.solution.values.get("onboard", []))
        + len(run.solution.values.get("lot", [])),
        "total": time.perf_counter() - started,
        "solve": run.timings["solve"],
        "marginals": run.timings.get("marginals", 0.0),
        "status": summary.status,
        "gap": summary.mip_gap,
        "objective": summary.objective,
        "fixed": summary.fixed,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", default=["example", "M"])
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.time_limit)))
        return
    for size in args.sizes:
        if size == "example":
            example()
            continue
        extra = ["--time-limit", str(args.time_limit)] if args.time_limit else []
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.integer_terms", "--one", size, *extra],
            cwd=HERE.parent, capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if "solve" not in result:
            print(f"{size}: {result['status']} after {result['total']:.1f} s")
            continue
        print(
            f"{size}: {result['deliveries']:,} deliveries, {result['binaries']:,} binaries, "
            f"total {result['total']:.1f} s, HiGHS {result['solve']:.1f} s (+ fixed LP "
            f"{result['marginals']:.1f} s), {result['status']}, gap {result['gap']:.2e}, "
            f"objective {result['objective']:,.2f} (fixed {result['fixed']:,.0f}), "
            f"peak {result['peak_mib']:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
